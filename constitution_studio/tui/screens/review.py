"""Review queue: an auditor's spot checks of the critic, recorded as gold labels.

The queue is core's (`review_stages` over the score cache; "Run all" scores what is missing);
each item shows what the reviewer must see to label it honestly (core's `ReviewItem`): the
conversation, the case's note and its gold now (and whose), who decides and why, and every
linked principle's wording with the critic's verdict and P for it. A verdict is for the case
as a whole or for one principle, as the reviewer chooses (`o`), never inferred; it is written
by core's `record_verdict` (one transaction), and one that would replace gold already there
asks first and says old → new (`replacement`, `replace_gold`). Where the reviewer stopped is
kept in `.cstudio/review.json` (core/review_position.py), so the next visit resumes there.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, ProgressBar, Static
from textual.worker import get_current_worker

from constitution_studio.core.analysis.review import ReviewItem, empty_state, item_gold_text
from constitution_studio.core.conversation import tool_names, turn_body, turn_heading
from constitution_studio.core.gold_writes import (
    GoldChange,
    GoldVerdict,
    check_verdict,
    record_verdict,
    replace_gold,
    replacement,
    reviewer_name,
    undo_gold,
)
from constitution_studio.core.models import EvalCase
from constitution_studio.core.review_position import load_position, save_position
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import Kind, gold_text, percent, plural, verdict_sentence
from constitution_studio.errors import StudioError
from constitution_studio.tui.screens.modals import Choice
from constitution_studio.tui.services import services
from constitution_studio.tui.state import Studio
from constitution_studio.tui.toggles import relabel
from constitution_studio.tui.trust_view import NARROW_TITLE
from constitution_studio.tui.widgets.footer import StudioFooter
from constitution_studio.tui.words import wording_text

NARROW_NAME = 20  # the reviewer's name in an 80-column title


def case_gold_text(case: EvalCase) -> str:
    """A case's gold and whose (core's wording): `gold (case): violates`, `gold (HARM-02): complies, …`."""
    if isinstance(case.gold, dict) and case.gold:
        return ", ".join(gold_text(label, pid) for pid, label in case.gold.items())
    return gold_text(case.gold if isinstance(case.gold, str) else None)


class ReviewScreen(Screen[None]):
    """One case at a time: the conversation, the principle's wording, the critic's verdict; record gold."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="review.back", tooltip="Back (your place is kept)"),
        Binding("v", "verdict('violates')", "Violates", id="review.violates", tooltip="Gold: the response violates"),
        Binding("c", "verdict('complies')", "Complies", id="review.complies", tooltip="Gold: the response complies"),
        Binding(
            "a", "verdict('a')", "A preferred", id="review.a", tooltip="Gold for a pair: response A follows it better"
        ),
        Binding(
            "b", "verdict('b')", "B preferred", id="review.b", tooltip="Gold for a pair: response B follows it better"
        ),
        Binding(
            "o",
            "cycle_scope",
            "For: whole case",
            id="review.scope",
            tooltip="Record for the whole case or one principle",
        ),
        Binding("n", "note", "Note", id="review.note", tooltip="Write a note to go with the verdict"),
        Binding("s,right", "skip", "Skip", id="review.skip", tooltip="Next case without recording"),
        Binding("left", "previous", "Previous", id="review.previous", show=False),
        Binding("u", "undo", "Undo last", id="review.undo", tooltip="Undo the last verdict you recorded"),
        Binding(
            "r", "run_all", "Run all", id="review.run_all", tooltip="Score what is missing so every case can queue"
        ),
    ]

    AUTO_FOCUS = "#review-scroll"  # never the note: letters are verdict keys until `n`

    def __init__(self, studio: Studio) -> None:
        super().__init__(id="review")
        self.studio = studio
        self.items: list[ReviewItem] = []
        self.index = 0
        self.scope: str | None = None  # None: the whole case; else a principle ID
        self.undo_stack: list[tuple[GoldChange, EvalCase, int]] = []
        self.reviewer = reviewer_name(studio.root)
        self.unscored = 0
        self.answers_needed = 0  # what scoring the unscored cases would take (the empty state says so)
        self.running = False
        self.partial = True  # the first stage is on screen, the rest of the queue is on its way
        self.moved = False  # the reviewer moved since opening (a later stage keeps their case)
        self.scoring = (0, 0)  # critic answers done, of total, while Run all scores

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="review-body"):
            yield Static("reading the critic's cached verdicts…", id="review-position")
            yield ProgressBar(id="review-progress", show_eta=False)
            with VerticalScroll(id="review-scroll"):
                yield Static("", id="review-conversation")
                yield Static("", id="review-case")
                yield Static("", id="review-principles")
            yield Input(placeholder="note (optional): n to write, enter to keep", id="review-note", compact=True)
        yield StudioFooter()

    def on_mount(self) -> None:
        self.trust_measured()
        self.query_one(ProgressBar).display = False
        self.load(False)

    def trust_measured(self) -> None:
        """The title bar: the reviewer, and the critic's trust as the verdicts move it (before → after)."""
        trust = services(self).trust
        narrow = self.app.size.width < NARROW_TITLE
        reviewer = sanitize(self.reviewer)
        if narrow:  # ~64 columns: the name cut before the trust figure, which is what moves
            name = reviewer if len(reviewer) <= NARROW_NAME else reviewer[: NARROW_NAME - 1] + "…"
            line = f"review · {name}" + (f" · {trust.short(narrow=True)}" if trust.report is not None else "")
        else:
            line = f"review queue · reviewer: {reviewer}"
            if trust.report is not None:
                line += f" · {trust.short()}"
        self.sub_title = line

    def on_resize(self) -> None:
        self.trust_measured()

    # --- the queue ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def load(self, score: bool) -> None:
        """The queue in core's two steps: cases that disagree with gold at once, then the rest."""
        from constitution_studio.core.analysis.impact import thresholds
        from constitution_studio.core.analysis.review import answers_needed, review_stages, scored_for_review

        worker = get_current_worker()
        try:
            critic = services(self).critic()
            ws = self.studio.ws
            stages = review_stages(
                ws,
                critic,
                score=score,
                thresholds=thresholds(critic, ws),
                cancel=worker.cancelled_event,
                progress=self._progress_from_thread,
            )
            for items, unscored in stages:
                if worker.is_cancelled:
                    return
                needed = self.answers_needed
                if unscored:  # the empty state says how much a run would score
                    needed = answers_needed(scored_for_review(ws, critic, score=False), critic)
                self.app.call_from_thread(self._loaded, items, unscored, needed)
        except StudioError as exc:
            self.app.call_from_thread(self._failed, exc.one_line())

    def _progress_from_thread(self, done: int, total: int) -> None:
        if self.running:
            self.app.call_from_thread(self._progressed, done, total)

    def _progressed(self, done: int, total: int) -> None:
        if not self.running:
            return
        self.scoring = (done, total)
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        if self.item is None:  # the empty state would still say "press r": say what is under way
            self.show()

    def _failed(self, message: str) -> None:
        self.running = False
        self.query_one(ProgressBar).display = False
        self.query_one("#review-position", Static).update(Text(sanitize(message), style="red"))

    def _loaded(self, items: list[ReviewItem], unscored: int | None, needed: int = 0) -> None:
        """Show a stage of the queue; `unscored` None while the rest is still being read."""
        # the case the reviewer is on stays put when they moved, and while a run adds cases
        current = self.item.case_id if self.item is not None and (self.moved or self.running) else None
        final = unscored is not None
        if final:
            if self.running:
                services(self).critic_finished("")  # new labels: trust again
            self.running = False
            self.query_one(ProgressBar).display = False
            self.unscored = unscored or 0
            self.answers_needed = needed
        self.items = items
        self.partial = not final
        ids = [i.case_id for i in items]
        resume = load_position(self.studio.root).index_in(ids, final=final)
        if current in ids:
            self.index = ids.index(current or "")
        elif resume is not None:
            self.index = resume
        else:
            self.index = min(self.index, max(len(items) - 1, 0))
        self.show()

    def action_run_all(self) -> None:
        if self.running:
            return
        self.running = True
        self.scoring = (0, 0)
        self.studio.scores_written += 1
        self.query_one(ProgressBar).display = True
        self.load(True)

    @property
    def item(self) -> ReviewItem | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def show(self) -> None:
        item = self.item
        position = self.query_one("#review-position", Static)
        state = empty_state(
            items=len(self.items),
            cases=len(self.studio.ws.cases),
            unscored=self.unscored,
            answers_needed=self.answers_needed,
            action="press r",
        )
        missing = f"  ·  {state}" if state and self.unscored else ""
        if self.partial:
            missing = (
                "  ·  scoring: more cases join the queue as they are scored (esc stops)"
                if self.running
                else "  ·  reading the rest of the queue…"
            )
        if item is None and self.running:  # before any case of the run is in (a chunk may queue none)
            done, total = self.scoring
            count = f"{done} of {plural(total, 'critic answer')}" if total else "reading the cache, loading the critic"
            then = "the cases show when they are scored; esc stops, keeping what finished"
            position.update(Text(f"Scoring the queue: {count} — {then}"))
            return
        if item is None and self.partial:
            position.update("reading the critic's cached verdicts…")
            return
        if item is None:
            if self.items:
                line = Text(f"End of the queue: no case left that needs a human look.{missing}", style="green")
            elif state and self.unscored:  # the critic has not scored the cases: never "nothing to review"
                line = Text(state[0].upper() + state[1:], style="yellow")
            else:
                line = Text((state or "nothing to review").capitalize(), style="green")
            position.update(line)
            for name in ("conversation", "case", "principles"):
                self.query_one(f"#review-{name}", Static).update("")
            self._verdict_keys(None)
            return
        case = self.studio.ws.cases[item.case_id]
        if self.scope is not None and self.scope not in case.principles:
            self.scope = None
        position.update(
            Text.assemble(
                (f"Case {self.index + 1} of {len(self.items)}", "bold"),
                f": {sanitize(item.case_id)}  ·  why: {sanitize(item.why or item.reason)}",
                (missing, "yellow"),
            )
        )
        turns = [
            Text.assemble((f"{sanitize(turn_heading(t, tool))}: ", "bold cyan"), wording_text(turn_body(t)))
            for t, tool in zip(case.turns, tool_names(case.turns), strict=True)
        ]
        if case.kind == "single":
            turns.append(Text.assemble(("response: ", "bold magenta"), wording_text(case.response)))
        else:
            turns.append(Text.assemble(("A: ", "bold magenta"), wording_text(case.a)))
            turns.append(Text.assemble(("B: ", "bold magenta"), wording_text(case.b)))
        self.query_one("#review-conversation", Static).update(Group(Text("Conversation", style="bold"), *turns))
        self.query_one("#review-case", Static).update(self._case_text(item, case))
        self.query_one("#review-principles", Static).update(self._principles_text(item, case))
        relabel(self, "o", f"For: {sanitize(self.scope or 'whole case')}")
        self._verdict_keys(case.kind)

    def _verdict_keys(self, kind: str | None) -> None:
        """The footer offers the verdicts that apply: v/c on a single response, a/b on a pair."""
        for key, description, applies in (
            ("v", "Violates", kind == "single"),
            ("c", "Complies", kind == "single"),
            ("a", "A preferred", kind == "pair"),
            ("b", "B preferred", kind == "pair"),
        ):
            relabel(self, key, description, show=applies)

    def scope_words(self) -> str:
        """What a verdict recorded now is for, in words."""
        if self.scope is None:
            return "the case as a whole (gold: label)"
        return f"{sanitize(self.scope)} only (per-principle gold: {{{sanitize(self.scope)}: label}})"

    def _case_text(self, item: ReviewItem, case: EvalCase) -> Text:
        """The case as a whole: its note, its gold now and whose, who decides and why, what a verdict is for."""
        text = Text("This case", style="bold")
        if case.note:
            text.append("\n  note: ")
            text.append(wording_text(case.note), style="italic")
        text.append(f"\n  gold now: {sanitize(item_gold_text(item))}", style="cyan")
        if item.decision:
            text.append(f"\n  who decides: {sanitize(item.decision)}")
        text.append("\n  your verdict is for: ", style="bold")
        text.append(self.scope_words(), style="bold yellow")
        keys = "v violates · c complies" if case.kind == "single" else "a: A preferred · b: B preferred"
        others = len(item.linked) > 1 or self.scope is not None
        scope_key = " · o: for the whole case or one principle" if others else ""
        text.append(f"\n  record: {keys}{scope_key} · n note · s skip · u undo", style="dim")
        return text

    def _principles_text(self, item: ReviewItem, case: EvalCase) -> Text:
        """Every linked principle: its wording, the critic's verdict and P for it, whether the request
        bears on it, its own gold; the principle a verdict is for is marked ▸."""
        kind: Kind = "pair" if case.kind == "pair" else "single"
        many = len(item.linked) > 1
        text = Text("Linked principles, highest priority first" if many else "Principle", style="bold")
        for lv in item.linked:
            chosen = lv.principle_id == self.scope
            rank = f"{lv.rank}. " if lv.rank is not None and many else ""
            title = f" {sanitize(lv.title)}" if lv.title else " (not in this version)"
            text.append("\n" + ("▸ " if chosen else "  "), style="bold yellow")
            text.append(f"{rank}{sanitize(lv.principle_id)}{title}", style="bold yellow" if chosen else "bold")
            if lv.decides:
                text.append("  — decides the case", style="bold")
            if lv.status and lv.status != "active":
                text.append(f"  ({sanitize(lv.status)})", style="dim")
            if lv.statement:
                text.append("\n    ")
                text.append(wording_text(lv.statement))
            says = verdict_sentence(lv.label, lv.probability, kind, sanitize(lv.principle_id))
            text.append(f"\n    critic: {says}", style="yellow" if lv.decides else "")
            if lv.engaged is not None:
                bears = "yes" if lv.engaged else "no"
                sure = f", {percent(lv.engagement)} sure" if lv.engagement is not None else ""
                text.append(f" · the request bears on it: {bears}{sure}", style="dim")
            if lv.gold is not None:
                text.append(f"\n    {gold_text(lv.gold, sanitize(lv.principle_id))}", style="cyan")
        return text

    def _move(self, index: int) -> None:
        self.moved = True
        self.index = max(0, min(index, len(self.items)))
        self.query_one("#review-note", Input).value = ""
        item = self.item
        self.scope = None
        save_position(self.studio.root, item.case_id if item else None, self.index)
        self.show()

    # --- keys --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # letters are the note's text while typing it
        return not (isinstance(self.focused, Input) and action != "back")

    def action_back(self) -> None:
        note = self.query_one("#review-note", Input)
        if note.has_focus:
            self.query_one("#review-scroll").focus()
            return
        if self.running:
            self.workers.cancel_group(self, "review")
            self.running = False
            self.query_one(ProgressBar).display = False
            self.show()  # the empty state again, with what is left to score
            return
        self.app.pop_screen()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#review-scroll").focus()

    def action_note(self) -> None:
        self.query_one("#review-note", Input).focus()

    def action_skip(self) -> None:
        if self.item is not None:
            self._move(self.index + 1)

    def action_previous(self) -> None:
        if self.index > 0:
            self._move(self.index - 1)

    def action_cycle_scope(self) -> None:
        """What the next verdict is for: the whole case, then each linked principle in priority order."""
        item = self.item
        if item is None:
            return
        options: list[str | None] = [None, *(lv.principle_id for lv in item.linked)]
        self.scope = options[(options.index(self.scope) + 1) % len(options)] if self.scope in options else None
        self.show()

    def action_verdict(self, label: str) -> None:
        """Record `label` for the case or the chosen principle; replacing gold already there asks first."""
        item = self.item
        if item is None:
            return
        note = self.query_one("#review-note", Input).value
        verdict = GoldVerdict(item.case_id, label, self.scope, self.reviewer, note)
        problem = check_verdict(self.studio.ws, verdict)
        if problem:
            self.notify(problem, severity="error")
            return
        replaced = replacement(self.studio.ws, verdict)
        if replaced is None:
            self._write(verdict, replace=False)
            return
        self.app.push_screen(
            Choice(
                "Replace the gold label?",
                f"{replaced}.\n\nReplace it? (u undoes it afterwards)",
                [("replace", "Replace"), ("keep", "Keep the gold")],
                "confirm-replace-gold",
            ),
            lambda choice: self._write(verdict, replace=True) if choice == "replace" else None,
        )

    def _write(self, verdict: GoldVerdict, *, replace: bool) -> None:
        """Write one verdict through core (one transaction); the workspace follows what was written."""
        index = self.index
        before = self.studio.ws.cases[verdict.case_id]
        write = replace_gold if replace else record_verdict
        try:
            change = write(self.studio.root, self.studio.ws, verdict)
        except StudioError as exc:
            self.notify(sanitize(exc.one_line()), severity="error")
            return
        if change is None:
            already = gold_text(verdict.label, verdict.principle)
            self.notify(f"{sanitize(verdict.case_id)}: {already} already; nothing written")
        else:
            self.undo_stack.append((change, before, index))
            self.notify(f"Recorded {sanitize(change.describe())} in {sanitize(change.relpath)}")
            services(self).critic_finished("")  # new gold: trust again, before → after
        self._move(index + 1)

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("Nothing to undo")
            return
        change, case, index = self.undo_stack.pop()
        try:
            undo_gold(self.studio.root, change)
        except StudioError as exc:
            self.notify(sanitize(exc.one_line()), severity="error")
            return
        self.studio.ws.cases[change.case_id] = case
        self.notify(f"Undone: {sanitize(change.case_id)} has {sanitize(case_gold_text(case))} again")
        services(self).critic_finished("")
        self._move(index)
