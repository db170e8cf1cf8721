"""Impact: what the unsaved edits (wording and priority order) do across the whole constitution.

The figures are core's: `cached_shift` (what the cache already knows, on open) and
`analyze_shift` ("Run all", in a thread worker with per-batch progress and cancel), both ending
in `assemble_shift`, the code `cstudio shift` uses. This screen sorts and filters the report's
cases with core's pure functions (analysis/impact.py) and draws them. Flips inside the noise
band (not every judge variant agrees) are shown dim and never marked as changes.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, ProgressBar, Static
from textual.worker import get_current_worker

from constitution_studio.core.analysis import impact as core
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import Kind, case_gold_text, p_arrow
from constitution_studio.errors import StudioError
from constitution_studio.tui.screens import impact_columns as layout
from constitution_studio.tui.screens.impact_columns import pct
from constitution_studio.tui.services import services
from constitution_studio.tui.state import Studio
from constitution_studio.tui.toggles import on_off, relabel
from constitution_studio.tui.widgets.footer import StudioFooter
from constitution_studio.tui.widgets.plots import delta_histogram, rate_bar
from constitution_studio.tui.widgets.row_list import RowList
from constitution_studio.tui.words import label_word, plural
from constitution_studio.tui.workers import NO_REPR

PROGRESS_EVERY_S = 0.1
LIVE_EVERY_S = 0.5  # how often the first group's labels are redrawn while they arrive


def unsaved_head(studio: Studio, unsaved: tuple[dict[str, Any], list[str] | None]) -> Any:
    """The saved workspace with the valid unsaved edits and the unsaved priority order on top.

    `unsaved` is `studio.unsaved_version()`, taken in the UI thread (never inside a worker).
    """
    principles, order = unsaved
    head = dataclasses.replace(studio.ws, principles={**studio.ws.principles, **principles})
    if order is not None and head.constitution is not None:
        head.constitution = head.constitution.model_copy(update={"priority": order})
    return head


class ImpactScreen(Screen[None]):
    """Per principle and per case: the shift between the saved files (or a ref) and the unsaved edits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back / cancel", id="impact.back", tooltip="Cancel a run, or go back"),
        Binding("r", "run_all", "Run all", id="impact.run_all", tooltip="Score every missing answer with the critic"),
        Binding("s", "sort", "Sort: biggest change", id="impact.sort", tooltip="Sort cases: change, uncertainty, gold"),
        Binding("f", "flips", "Flips only: off", id="impact.flips", tooltip="Only cases whose label really flips"),
        Binding("b", "benign", "Benign only: off", id="impact.benign", tooltip="Only benign (should-not-refuse) cases"),
        Binding(
            "p",
            "one_principle",
            "One principle: off",
            id="impact.principle",
            tooltip="Only the cases of the highlighted principle",
        ),
        Binding("tab", "switch", "Principles/cases", id="impact.switch", show=False),
        Binding("g", "pick_ref", "Against: saved", id="impact.ref", tooltip="Compare against a git ref (empty: saved)"),
    ]

    def __init__(self, studio: Studio, ref: str | None = None) -> None:
        super().__init__(id="impact")
        self.studio = studio
        self.ref = ref
        self.report: Any = None
        self.sort = core.SORTS[0]
        self.keep = core.CaseFilter()
        self.limits: dict[str, float] = {}
        self._inputs: tuple[Any, Any, Any] | None = None
        self._by_case: dict[str, Any] = {}
        self._by_principle: dict[str, Any] = {}
        self._decided = 0  # the longest "Decided by" value of the report
        self._to_score = 0  # answers the cache lacked when Run all started: its progress counts these
        self._last_progress = 0.0
        self._last_live = 0.0
        self._run = 0  # Run all's number: the answer of a run cancelled since is not drawn
        self.running = False
        self.partial = False  # the version-wide figures are still being read

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="impact-body"):
            yield Static("working out what the edits can change…", id="impact-summary")
            yield Static("", id="impact-plot")
            yield ProgressBar(id="impact-progress", show_eta=False)
            yield RowList(layout.PRINCIPLE_COLUMNS, id="impact-principles")
            yield RowList(layout.CASE_COLUMNS, id="impact-cases")
            yield Static("", id="impact-detail")
            yield Input(placeholder="compare against a git ref (enter; empty: the saved files)", id="impact-ref")
        yield StudioFooter()

    def on_mount(self) -> None:
        self.sub_title = "impact of the unsaved edits"
        self.query_one(ProgressBar).display = False
        self.query_one("#impact-ref", Input).display = False
        self.query_one("#impact-cases", RowList).focus()
        self.load(self.studio.unsaved_version())

    # --- workers -----------------------------------------------------------------------

    def _sides(self, unsaved: tuple[dict[str, Any], list[str] | None]) -> tuple[Any, Any, Any]:
        from constitution_studio.core.diff import structural_diff

        if self.ref is None:
            base = self.studio.ws
        else:
            from constitution_studio.core.versions import check_ref_syntax, load_version

            check_ref_syntax(self.ref)
            base = load_version(self.studio.root, self.ref)
        head = unsaved_head(self.studio, unsaved)
        return base, head, structural_diff(base, head)

    @work(thread=True, exclusive=True, group="impact", exit_on_error=False, description=NO_REPR)
    def load(self, unsaved: tuple[dict[str, Any], list[str] | None]) -> None:
        """What is already known, from the cache only (never loads the model): first the affected
        cases (fast), then the version-wide figures over every benign case."""
        worker = get_current_worker()
        try:
            base, head, diff = self._sides(unsaved)
            critic = services(self).critic()
            limits = core.thresholds(critic, head)
            first = core.cached_shift(base, head, diff, critic, context=False)
            self._inputs = (base, head, diff)
            self.app.call_from_thread(self.show_report, first, limits, True)
            if worker.is_cancelled:
                return
            report = core.cached_shift(base, head, diff, critic)
        except StudioError as exc:
            self.app.call_from_thread(self._failed, exc.one_line())
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_report, report, limits)

    def action_run_all(self) -> None:
        if self.running or self._inputs is None:
            return
        if any(w.node is self and w.group == "impact-run" and not w.is_finished for w in self.workers):
            self.notify("The cancelled run is finishing the batch under way; press r again in a moment")
            return
        self.running = True
        self._run += 1
        self.studio.scores_written += 1
        self.workers.cancel_group(self, "impact")  # a cache read still under way would be stale
        report = self.report
        self._to_score = core.missing_requests(report) if report is not None and not report.model_calls else 0
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._progressed(0, 0)
        self._run_all(self._run, *self._inputs)

    @work(thread=True, exclusive=True, group="impact-run", exit_on_error=False, description=NO_REPR)
    def _run_all(self, run: int, base: Any, head: Any, diff: Any) -> None:
        """Score what the affected cases need, group by group (core.plan_impact): the edited
        principles' own labels first, drawn as they arrive, then the rest, each group's count shown."""
        worker = get_current_worker()
        try:
            critic = services(self).critic()
            plan = core.plan_impact(base, head, diff, critic)
            steps = [(s.title, s.reason, s.answers) for s in plan.steps]
            for index, step in enumerate(plan.steps):
                if worker.is_cancelled:
                    break

                def progress(done: int, total: int, index: int = index) -> None:
                    self._step_progress(run, plan, steps, index, done, total)

                self._step_progress(run, plan, steps, index, 0, step.answers)
                core.score_step(critic, step, plan, cancel=worker.cancelled_event, progress=progress)
                if index + 1 < len(plan.steps) and not worker.is_cancelled:
                    self.app.call_from_thread(self._arrived, plan.report(), run)
            report = plan.report()
            if report.cancelled or worker.is_cancelled:
                # A cancelled run's report lacks what it never reached (a known saved label
                # reads "–"): the view is the cache's, which is what it showed before the run
                # plus every answer that finished (each one is cached as it comes).
                report = core.cached_shift(base, head, diff, critic).model_copy(update={"cancelled": True})
        except StudioError as exc:
            self.app.call_from_thread(self._failed, exc.one_line(), run)
            return
        self.app.call_from_thread(self._finished, report, run)

    def _step_progress(
        self, run: int, plan: Any, steps: list[tuple[str, str, int]], index: int, done: int, total: int
    ) -> None:
        """In the worker: the group's progress line, and during the first group (the edited
        principles' own labels) the report as far as it is scored, so labels show as they arrive."""
        if not self.running:
            return  # cancelled: the view already shows what it showed before the run
        now = time.monotonic()
        if 0 < done < total and now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._last_progress = now
        self.app.call_from_thread(self._step_progressed, run, steps, index, done, total)
        if index == 0 and done and (done == total or now - self._last_live >= LIVE_EVERY_S):
            self._last_live = now
            self.app.call_from_thread(self._arrived, plan.report(), run)

    def _step_progressed(self, run: int, steps: list[tuple[str, str, int]], index: int, done: int, total: int) -> None:
        if run != self._run or not self.running:
            return
        self.query_one(ProgressBar).update(total=max(total, 1), progress=min(done, total))
        loading = services(self).critic_loading()
        line = layout.step_lines(index, steps, done, total, loading=loading)
        self.query_one("#impact-detail", Static).update(line, layout=False)

    def _arrived(self, report: Any, run: int) -> None:
        """Labels scored so far, drawn while the run goes on."""
        if run != self._run or not self.running or not self.is_attached:
            return
        self.show_report(report, self.limits)

    def _progressed(self, done: int, total: int) -> None:
        """Progress in the answers the model has to give (the summary's count), not cache hits.

        The run first reads the cache (`done` counts those hits too), then loads the model,
        which takes seconds: the line says so instead of sitting at 0.
        """
        if not self.running:
            return
        known = max(total - self._to_score, 0) if self._to_score else 0
        scored, todo = max(done - known, 0), (self._to_score or total)
        self.query_one(ProgressBar).update(total=max(todo, 1), progress=min(scored, todo))
        loading = services(self).critic_loading()
        line = layout.progress_line(scored, todo, loading=loading)
        self.query_one("#impact-detail", Static).update(line, layout=False)

    def _finished(self, report: Any, run: int) -> None:
        if run != self._run or not self.is_attached:
            return  # a run cancelled since another started, or the view was closed
        self.running = False
        self.query_one(ProgressBar).display = False
        self.show_report(report, self.limits)
        if report.cancelled:
            left = core.missing_requests(report)
            self.notify(
                "Run cancelled; the answers that finished are kept (and cached)"
                + (f", {plural(left, 'answer')} left to score (r)" if left else "")
            )

    def _cancel_run(self) -> None:
        """escape during Run all: the view as before the run at once; what finishes is added when it does."""
        self.workers.cancel_group(self, "impact-run")
        self.running = False
        self.query_one(ProgressBar).display = False
        if self.report is not None:
            self.show_report(self.report, self.limits)  # the report from before the run
        self.query_one("#impact-detail", Static).update(
            "cancelled: the batch under way finishes, and its answers are added (and cached)", layout=False
        )

    def _failed(self, message: str, run: int | None = None) -> None:
        if (run is not None and run != self._run) or not self.is_attached:
            return
        self.running = False
        self.query_one(ProgressBar).display = False
        self.query_one("#impact-summary", Static).update(Text(sanitize(message), style="red"))

    # --- drawing -----------------------------------------------------------------------

    def show_report(self, report: Any, limits: dict[str, float], partial: bool = False) -> None:
        """Draw a report; `partial`: only the affected cases are read yet (over-refusal pending)."""
        if self.running and partial:
            return
        self.partial = partial
        self.report = report
        self.limits = limits
        self._by_case = {cs.case_id: cs for cs in report.cases}
        self._decided = layout.decided_width(report.cases)
        self._by_principle = {ps.principle_id: ps for ps in report.principles}
        self._summary()
        principles = self.query_one("#impact-principles", RowList)
        principles.set_rows(list(self._by_principle), self._principle_cells)
        self.refresh_cases()

    def _summary(self) -> None:
        r = self.report
        o = r.overall
        against = sanitize(self.ref) if self.ref else "the saved files"
        missing = core.missing_requests(r) if not r.model_calls and r.requests else 0
        parts = [
            Text.assemble(("Impact", "bold"), f" of the unsaved edits against {against}: "),
            Text(f"{plural(len(r.cases), 'case')} can move, "),
            Text(plural(o.n_flips_stable, "flip"), style="bold yellow" if o.n_flips_stable else ""),
            Text(f", {o.n_flips_unstable} more inside the noise band (not counted)", style="dim"),
        ]
        # 0 flips from a critic that cannot be believed; not while cases wait to be scored (their
        # flips are not known yet, and "press r" must stay on screen at 80x24)
        counted = not self.partial and not missing and not r.incomplete
        warning = services(self).zero_flips_warning() if not o.n_flips_stable and r.cases and counted else ""
        if warning:
            parts.append(Text(f" — {warning}", style="bold yellow"))
        refusal = "reading…" if self.partial else f"{pct(o.over_refusal_base)} → {pct(o.over_refusal_head)}"
        line2 = Text.assemble(
            f"gold agreement {pct(o.gold_accuracy_base)} → {pct(o.gold_accuracy_head)}",
            f"  ·  {r.partial[0] if r.partial else 'over-refusal (all benign cases)'} {refusal}",
        )
        if not r.cases:
            line2 = Text("Nothing to show: no unsaved edit changes a wording, a link or the priority order.")
        if (missing or r.incomplete) and not self.partial and not self.running:
            line2.append(
                f"\n{plural(len(r.incomplete), 'case')} not scored yet "
                f"({plural(missing, 'critic answer')} to score): press r to run all",
                style="yellow",
            )
        self.query_one("#impact-summary", Static).update(Text("\n").join([Text.assemble(*parts), line2]))
        counts = core.histogram(core.deltas(r.cases), bins=20)
        plot = Text.assemble(
            ("Δ ", "bold"),
            delta_histogram(counts),
            ("  over-refusal ", "bold"),
            rate_bar(None if self.partial else o.over_refusal_base, 6, "cyan"),
            " → ",
            rate_bar(None if self.partial else o.over_refusal_head, 6, "magenta"),
        )
        self.query_one("#impact-plot", Static).update(plot)

    def _principle_cells(self, pid: str) -> list[Text]:
        s = self._by_principle[pid].stats
        mean = "–" if s.mean_abs_delta is None else f"{s.mean_abs_delta:.2f}"
        top = "–" if s.max_abs_delta is None else f"{s.max_abs_delta:.2f}"
        return [
            Text(sanitize(pid), style="bold"),
            Text(str(s.n_flips_stable), style="bold yellow" if s.n_flips_stable else ""),
            Text(str(s.n_flips_unstable), style="dim"),
            Text(mean),
            Text(top),
            Text(f"{pct(s.over_refusal_base)} → {pct(s.over_refusal_head)}"),
            Text(f"{pct(s.gold_accuracy_base)} → {pct(s.gold_accuracy_head)}"),
        ]

    def _case_cells(self, cid: str) -> list[Text]:
        cs = self._by_case[cid]
        before = label_word(cs.base.label) if cs.base is not None and cs.base.label else "–"
        after = label_word(cs.head.label) if cs.head is not None and cs.head.label else "not scored"
        change = core.is_change(cs)
        style = "bold yellow" if change else "dim" if cs.flipped else ""
        d, band = core.case_delta(cs), core.noise_band(cs)
        delta = "–" if d is None else f"{d:+.2f}" + (f" ±{band:.2f}" if band is not None else "")
        decided = layout.decided_text(cs)
        mark = Text("✗", style="bold red") if core.disagrees_with_gold(cs) else Text("")
        return [
            Text(sanitize(cid)),
            Text(f"{before} → {after}", style=style),
            Text(delta, style=style),
            Text(decided),
            Text(label_word(cs.gold) + ("*" if cs.gold_by_principle else "") if cs.gold else "–"),
            mark,
        ]

    def refresh_cases(self) -> None:
        if self.report is None:
            return
        shown = core.view_cases(self.report.cases, self.sort, self.keep, self.limits)
        self._size_columns()
        rows = self.query_one("#impact-cases", RowList)
        rows.empty = "" if not self.report.cases else "no flips" if self.keep.flips else "no case matches the filters"
        rows.set_rows([cs.case_id for cs in shown], self._case_cells)
        self._detail(self.query_one("#impact-cases", RowList).current_id())

    def _size_columns(self) -> None:
        rows = self.query_one("#impact-cases", RowList)
        width = rows.scrollable_content_region.width or self.app.size.width - 2  # before the first layout
        rows.set_columns(layout.case_columns(width, self._decided))

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._size_columns)  # once the list has its new width
        layout.fit_footer(self, event.size.width)

    @on(RowList.Highlighted, "#impact-cases")
    def _case_highlighted(self, event: RowList.Highlighted) -> None:
        self._detail(event.row_id)

    def _detail(self, cid: str | None) -> None:
        if self.running:
            return
        cs = self._by_case.get(cid or "")
        if cs is None:
            self.query_one("#impact-detail", Static).update("", layout=False)
            return
        note = ""
        if cs.flipped and not cs.stable:
            note = "  (flip inside the noise band: the judge variants disagree, so it is not counted)"
        elif core.disagrees_with_gold(cs):
            note = "  ✗ the critic disagrees with the gold label"
        kind: Kind = "pair" if cs.kind == "pair" else "single"
        before = cs.base.probability if cs.base is not None else None
        after = cs.head.probability if cs.head is not None else None
        self.query_one("#impact-detail", Static).update(  # fixed height: no relayout per cursor move
            Text.assemble(
                (f"{sanitize(cs.case_id)}: ", "bold"),
                (f"{p_arrow(before, after, kind)}  ", "cyan"),  # what Δ is the change of
                (f"base {sanitize(case_gold_text(cs.gold, cs.gold_by_principle))}" if cs.gold else "", "bold"),
                (note, "yellow"),
                "  " + sanitize(cs.prompt)[:160],  # last: what a narrow screen cuts first
            ),
            layout=False,
        )

    # --- keys --------------------------------------------------------------------------

    def action_pick_ref(self) -> None:
        if self.running:
            return
        field = self.query_one("#impact-ref", Input)
        field.value = self.ref or ""
        field.display = True
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.query_one("#impact-cases", RowList).focus()
        ref = event.value.strip() or None
        if ref == self.ref:
            return
        self.ref = ref
        relabel(self, "g", f"Against: {sanitize(ref or 'saved')}")
        self.report = None
        self.query_one("#impact-summary", Static).update(
            Text(f"comparing the unsaved edits with {sanitize(ref or 'the saved files')}…")
        )
        self.load(self.studio.unsaved_version())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # while the ref is typed, letters are text (escape still closes it)
        return not (isinstance(self.focused, Input) and action != "back")

    def action_back(self) -> None:
        field = self.query_one("#impact-ref", Input)
        if field.display:
            field.display = False
            self.query_one("#impact-cases", RowList).focus()
            return
        if self.running:
            self._cancel_run()
            return
        self.app.pop_screen()

    def action_sort(self) -> None:
        self.sort = core.SORTS[(core.SORTS.index(self.sort) + 1) % len(core.SORTS)]
        relabel(self, "s", f"Sort: {core.SORT_TITLES[self.sort]}")
        self.refresh_cases()

    def action_flips(self) -> None:
        self.keep = dataclasses.replace(self.keep, flips=not self.keep.flips)
        relabel(self, "f", f"Flips only: {on_off(self.keep.flips)}")
        self.refresh_cases()

    def action_benign(self) -> None:
        self.keep = dataclasses.replace(self.keep, benign=not self.keep.benign)
        relabel(self, "b", f"Benign only: {on_off(self.keep.benign)}")
        self.refresh_cases()

    def action_one_principle(self) -> None:
        pid = None if self.keep.principle else self.query_one("#impact-principles", RowList).current_id()
        self.keep = dataclasses.replace(self.keep, principle=pid)
        relabel(self, "p", f"One principle: {pid or 'off'}")
        self.refresh_cases()

    def action_switch(self) -> None:
        principles = self.query_one("#impact-principles", RowList)
        cases = self.query_one("#impact-cases", RowList)
        (cases if principles.has_focus else principles).focus()
