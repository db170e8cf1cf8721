"""Review queue: an auditor's spot checks of the critic, recorded as gold labels.

The queue is core's (`review_queue` over a ScoredVersion read from the score cache; "Run
all" scores what is missing); each verdict is written by core's `record_gold` (round-trip,
atomic, under the constitution's write lock) with the reviewer's `git config user.name`.
Where the reviewer stopped is kept in `.cstudio/review.json`, so the next visit resumes there.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, ProgressBar, Static
from textual.worker import get_current_worker

from constitution_studio.core.conversation import tool_names, turn_body, turn_heading
from constitution_studio.core.gold_writes import GoldChange, GoldVerdict, record_gold, reviewer_name, undo_gold
from constitution_studio.core.review_position import load_position, save_position
from constitution_studio.core.sanitize import sanitize
from constitution_studio.errors import StudioError
from constitution_studio.tui.state import Studio
from constitution_studio.tui.toggles import relabel
from constitution_studio.tui.widgets.footer import StudioFooter
from constitution_studio.tui.words import label_word, plural, wording_text


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
        self.items: list[Any] = []
        self.index = 0
        self.scope: str | None = None  # None: the whole case; else a principle ID
        self.undo_stack: list[tuple[GoldChange, Any, int]] = []
        self.reviewer = reviewer_name(studio.root)
        self.unscored = 0
        self.running = False
        self.partial = True  # the first stage is on screen, the rest of the queue is on its way
        self.moved = False  # the reviewer moved since opening (a later stage keeps their case)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="review-body"):
            yield Static("reading the critic's cached verdicts…", id="review-position")
            yield ProgressBar(id="review-progress", show_eta=False)
            with VerticalScroll(id="review-scroll"):
                yield Static("", id="review-conversation")
                yield Static("", id="review-principle")
                yield Static("", id="review-critic")
            yield Input(placeholder="note (optional): n to write, enter to keep", id="review-note", compact=True)
        yield StudioFooter()

    def on_mount(self) -> None:
        self.sub_title = f"review queue · reviewer: {sanitize(self.reviewer)}"
        self.query_one(ProgressBar).display = False
        self.load(False)

    # --- the queue ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def load(self, score: bool) -> None:
        """The queue in core's two steps: cases that disagree with gold at once, then the rest."""
        from constitution_studio.core.analysis.impact import thresholds
        from constitution_studio.core.analysis.review import review_stages

        worker = get_current_worker()
        try:
            critic = self.app.critic()  # type: ignore[attr-defined]
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
                self.app.call_from_thread(self._loaded, items, unscored)
        except StudioError as exc:
            self.app.call_from_thread(self._failed, exc.one_line())

    def _progress_from_thread(self, done: int, total: int) -> None:
        if self.running:
            self.app.call_from_thread(self.query_one(ProgressBar).update, total=max(total, 1), progress=done)

    def _failed(self, message: str) -> None:
        self.running = False
        self.query_one(ProgressBar).display = False
        self.query_one("#review-position", Static).update(Text(sanitize(message), style="red"))

    def _loaded(self, items: list[Any], unscored: int | None) -> None:
        """Show a stage of the queue; `unscored` None while the rest is still being read."""
        current = self.item.case_id if self.item is not None and self.moved else None
        final = unscored is not None
        if final:
            if self.running:
                self.app.critic_finished("")  # type: ignore[attr-defined]  # new labels: trust again
            self.running = False
            self.query_one(ProgressBar).display = False
            self.unscored = unscored or 0
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
        self.studio.scores_written += 1
        self.query_one(ProgressBar).display = True
        self.load(True)

    @property
    def item(self) -> Any:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def show(self) -> None:
        from constitution_studio.core.analysis.review import REASON_TEXT

        item = self.item
        position = self.query_one("#review-position", Static)
        missing = f"  ·  {plural(self.unscored, 'case')} not scored yet: r runs the critic" if self.unscored else ""
        if self.partial:
            missing = "  ·  reading the rest of the queue…"
        if item is None and self.partial:
            position.update("reading the critic's cached verdicts…")
            return
        if item is None:
            done = "Nothing to review" if not self.items else "End of the queue"
            position.update(Text(f"{done}: no case left that needs a human look.{missing}", style="green"))
            for name in ("conversation", "principle", "critic"):
                self.query_one(f"#review-{name}", Static).update("")
            self._verdict_keys(None)
            return
        case = self.studio.ws.cases[item.case_id]
        if isinstance(case.gold, dict) and self.scope is None:
            self.scope = item.principle_id if item.principle_id in case.principles else case.principles[0]
        elif isinstance(case.gold, str):
            self.scope = None
        position.update(
            Text.assemble(
                (f"Case {self.index + 1} of {len(self.items)}", "bold"),
                f": {sanitize(item.case_id)}  ·  why: {REASON_TEXT[item.reason]}",
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
        pid = self.scope or item.principle_id
        principle = self.studio.ws.principles.get(pid or "")
        wording = (
            Text("")
            if principle is None
            else Text.assemble(
                (f"{sanitize(pid or '')} {sanitize(principle.title)}: ", "bold"), wording_text(principle.statement)
            )
        )
        self.query_one("#review-principle", Static).update(Group(Text("Principle", style="bold"), wording))
        self.query_one("#review-critic", Static).update(self._critic_text(item, case))
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

    def _critic_text(self, item: Any, case: Any) -> Text:
        p = item.probability
        if case.kind == "single":
            what = (
                f"{p:.0%} sure the response violates {sanitize(item.principle_id)}" if p is not None else "not scored"
            )
        else:
            what = (
                f"{p:.0%} sure response A follows {sanitize(item.principle_id)} better"
                if p is not None
                else "not scored"
            )
        text = Text.assemble(("The critic says: ", "bold"), (label_word(item.label), "bold yellow"), f" ({what})")
        if len(item.labels) > 1:
            text.append(
                "\n  each principle: " + ", ".join(f"{sanitize(k)} {label_word(v)}" for k, v in item.labels.items())
            )
        if item.conflict:
            text.append("\n  the principles disagreed; the priority order decided")
        gold = (
            label_word(case.gold)
            if isinstance(case.gold, str)
            else ", ".join(f"{sanitize(k)} {label_word(v)}" for k, v in case.gold_by_principle.items())
        )
        text.append(f"\n  gold now: {gold or 'none'}", style="cyan")
        keys = "v violates · c complies" if case.kind == "single" else "a: A preferred · b: B preferred"
        text.append(f"\n  record: {keys} · s skip · u undo · o whole case/one principle", style="dim")
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
        item = self.item
        if item is None:
            return
        case = self.studio.ws.cases[item.case_id]
        if isinstance(case.gold, str):
            self.notify("This case has gold for the case as a whole; verdicts go to the whole case")
            return
        options: list[str | None] = ([] if isinstance(case.gold, dict) else [None]) + list(case.principles)
        self.scope = options[(options.index(self.scope) + 1) % len(options)] if self.scope in options else options[0]
        self.show()

    def action_verdict(self, label: str) -> None:
        item = self.item
        if item is None:
            return
        case = self.studio.ws.cases[item.case_id]
        note = self.query_one("#review-note", Input).value
        verdict = GoldVerdict(item.case_id, label, self.scope, self.reviewer, note)
        try:
            change = record_gold(self.studio.root, self.studio.ws, verdict)
        except StudioError as exc:
            self.notify(sanitize(exc.one_line()), severity="error")
            return
        gold = {**case.gold_by_principle, self.scope: label} if self.scope else label
        self.studio.ws.cases[item.case_id] = case.model_copy(update={"gold": gold})
        self.undo_stack.append((change, case, self.index))
        target = sanitize(item.case_id) + (f" for {sanitize(self.scope)}" if self.scope else "")
        replaced = f" (was {label_word(change.before)})" if change.before and change.before != label else ""
        self.notify(f"Recorded {label} as gold of {target} in {sanitize(change.relpath)}{replaced}")
        self._move(self.index + 1)

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
        self.notify(f"Undone: gold of {sanitize(change.case_id)} is {change.before or 'none'} again")
        self._move(index)
