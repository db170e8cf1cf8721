"""Agreement over versions: the critic's kappa with gold at each commit that changed principles or gold.

The figures are core's (analysis/trust_history.py, the code `cstudio trust --history` runs):
read from the cache on open; "Run all" scores what is missing in a worker.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, ProgressBar, Static
from textual.worker import get_current_worker

from constitution_studio.core.analysis.trust_history import DEFAULT_COMMITS, kappa_series
from constitution_studio.core.sanitize import sanitize
from constitution_studio.errors import StudioError
from constitution_studio.tui.services import services
from constitution_studio.tui.state import Studio
from constitution_studio.tui.widgets.footer import StudioFooter
from constitution_studio.tui.widgets.plots import series
from constitution_studio.tui.widgets.row_list import RowList
from constitution_studio.tui.words import plural

COLUMNS = (
    ("Principle", 12),
    ("old → new", 16),  # the agreement (kappa) at each commit, as a sparkline
    ("agreement (kappa)", 18),
    ("AUC", 18),
    ("human labels", 12),
)


class TrustHistoryScreen(Screen[None]):
    """A sparkline of kappa per principle over the last commits, and the latest figures."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back / cancel", id="trust_history.back"),
        Binding("r", "run_all", "Run all", id="trust_history.run_all", tooltip="Score what the cache lacks"),
    ]

    def __init__(self, studio: Studio, commits: int = DEFAULT_COMMITS) -> None:
        super().__init__(id="trust-history")
        self.studio = studio
        self.commits = commits
        self.history: Any = None
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="trust-history-body"):
            yield Static("reading the history…", id="trust-history-summary")
            yield ProgressBar(id="trust-history-progress", show_eta=False)
            yield RowList(COLUMNS, id="trust-history-rows")
            yield Static(
                "Agreement (kappa): how often the critic agrees with people's gold labels beyond chance; "
                "1 is full agreement, 0 is chance; the sparkline shows it at each commit, oldest first. "
                "AUC: how well its probability separates the two labels (1 perfect, 0.5 chance). "
                "Low or falling: add gold via the review queue (F9), calibrate "
                "(`cstudio calibrate`), or configure a stronger critic model.",
                id="trust-history-help",
            )
        yield StudioFooter()

    def on_mount(self) -> None:
        self.sub_title = "critic agreement over versions"
        self.query_one(ProgressBar).display = False
        self.query_one(RowList).focus()
        self.load(False)

    @work(thread=True, exclusive=True, group="trust-history", exit_on_error=False)
    def load(self, score: bool) -> None:
        from constitution_studio.core.analysis.trust_history import trust_history

        worker = get_current_worker()
        try:
            critic = services(self).critic()
            history = trust_history(
                self.studio.root,
                critic,
                self.commits,
                score=score,
                cancel=worker.cancelled_event,
                progress=lambda done, total: self.app.call_from_thread(self._progressed, done, total),
            )
        except StudioError as exc:
            self.app.call_from_thread(self._failed, exc.one_line())
            return
        self.app.call_from_thread(self.show_history, history)

    def _progressed(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def _failed(self, message: str) -> None:
        self.running = False
        self.query_one(ProgressBar).display = False
        self.query_one("#trust-history-summary", Static).update(Text(sanitize(message), style="red"))

    def show_history(self, history: Any) -> None:
        self.running = False
        self.query_one(ProgressBar).display = False
        self.history = history
        points = history.points
        summary = self.query_one("#trust-history-summary", Static)
        if not points:
            summary.update("No commit changed principles or gold labels yet.")
            self.query_one(RowList).set_rows([], lambda _: [])
            return
        unscored = sum(p.unscored for p in points)
        text = Text.assemble(
            ("Agreement with gold", "bold"),
            f" over the last {plural(len(points), 'commit')} that changed principles or gold "
            f"({sanitize(points[-1].short)} → {sanitize(points[0].short)})",
        )
        if unscored:
            text.append(
                f"\n{plural(unscored, 'gold case')} not scored at some commits: press r to run all", style="yellow"
            )
        change = services(self).trust.change
        if change is not None:  # the verdicts recorded since the last commit: before → after
            from constitution_studio.core.analysis.trust_delta import change_lines

            text.append("\nwork tree: " + "\n  ".join(sanitize(line) for line in change_lines(change)), style="cyan")
        summary.update(text)
        ids = ["(overall)"] + [p.principle_id for p in points[0].trust.principles]
        self.query_one(RowList).set_rows(ids, self._cells)

    def _cells(self, row_id: str) -> list[Text]:
        latest = self.history.points[0].trust
        pid = None if row_id == "(overall)" else row_id
        a = latest.overall if pid is None else latest.principle(pid)
        line = series(kappa_series(self.history, pid))
        if a is None:
            return [Text(sanitize(row_id)), Text(line, style="cyan"), Text("–"), Text("–"), Text("0")]
        return [
            Text(sanitize(row_id), style="bold"),
            Text(line, style="cyan"),
            Text(a.kappa.text()),
            Text(a.auc.text()),
            Text(str(a.n)),
        ]

    def action_run_all(self) -> None:
        if not self.running:
            self.running = True
            self.studio.scores_written += 1
            self.query_one(ProgressBar).display = True
            self.load(True)

    def action_back(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "trust-history")
            return
        self.app.pop_screen()
