"""The critic's part of the main screen: runs, cached labels, auto-run on typing pauses.

`CriticRunner` is an invisible widget the main screen composes: it owns the critic's state
(the run, its progress, the GPU probe, auto-run, what the cache was already asked) and its
workers, which run in threads and only post messages to it. It knows the screen only as a
`CriticHost` (a narrow typed interface: which principle is shown; draw the cases, the bar,
the list row and the footer toggle again; show a failure) and the app only through
`tui/services.py`. Its workers:
- `run_critic` (ctrl+t, or auto-run): scores the selected principle's linked cases under the
  saved and the edited wording, loading the model on the first cache miss;
- `lookup_cached` / `lookup_all_saved`: labels already in the critic's score cache, for the
  selected principle (on selection and typing pauses) and for the list's label summaries
  (after start-up); the model is never loaded for these;
- `probe_gpu`: whether the critic runs on a GPU, asked on the first typing pause; auto-run
  is only ever on with a GPU.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, Protocol

from textual import on, work
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerState, get_current_worker

from constitution_studio.core.models import EvalCase
from constitution_studio.errors import StudioError
from constitution_studio.tui.critic_bridge import cached_labels, critic_uses_gpu, score_cache_exists, score_wording
from constitution_studio.tui.messages import (
    CachedLabelsFound,
    CaseScored,
    CriticFinished,
    CriticProgressed,
    GpuProbed,
)
from constitution_studio.tui.services import StudioServices, services
from constitution_studio.tui.state import Studio
from constitution_studio.tui.toggles import on_off
from constitution_studio.tui.workers import NO_REPR

if TYPE_CHECKING:
    from constitution_studio.core.critic.judge import Judge

LOOKUP_SECONDS = 0.3  # typing pause after which the edited wording is looked up in the score cache
AUTO_RUN_SECONDS = 0.8  # typing pause after which the critic runs on the edited wording (GPU only)


class CriticHost(Protocol):
    """What the critic runner asks of the screen that shows the principles (MainScreen)."""

    @property
    def current(self) -> str | None:
        """The principle in the editor (a highlight still waiting for a key pause is shown first)."""
        ...

    @property
    def shown(self) -> str | None:
        """The principle in the editor now (a highlight waiting for a key pause stays waiting)."""
        ...

    def refresh_cases(self, note: str = "") -> None:
        """Draw the shown principle's linked cases again (labels, trust, the run's note)."""
        ...

    def show_run(self, progress: tuple[int, int] | None) -> None:
        """The bar under the linked cases: (done, total) of the run, or idle."""
        ...

    def labels_changed(self, principle_id: str) -> None:
        """The list's label summary of one principle is out of date."""
        ...

    def toggle_shown(self, key: str, description: str, show: bool) -> None:
        """The footer's words for a toggle's key (its binding is the screen's)."""
        ...

    def background_failed(self, title: str, error: BaseException) -> None:
        """A worker failed: the bar goes idle, the error is shown, the cases drawn again."""
        ...


class CriticRunner(Widget):
    """The critic's runs and cache lookups for the main screen (no display of its own)."""

    DEFAULT_CSS: ClassVar[str] = "CriticRunner { display: none; }"

    def __init__(self, studio: Studio, host: CriticHost) -> None:
        super().__init__(id="critic-runner")
        self.studio = studio
        self.host = host
        self._looked_up: set[tuple[str, str]] = set()  # (principle, wording) already asked of the cache
        self._typing_timers: list[Timer] = []
        # Auto-run on typing pauses: only with a GPU (probed on the first pause); f5 turns it off.
        self.gpu: bool | None = None
        self.auto_run = True
        self.running: str | None = None  # the principle the critic is scoring now
        self.run_progress: tuple[int, int] = (0, 0)
        self._scores_seen = 0  # `studio.scores_written` when the labels were last looked up

    @property
    def studio_app(self) -> StudioServices:
        """The app's services (the critic, its trust), typed: see tui/services.py."""
        return services(self)

    # --- critic ----------------------------------------------------------------------

    def run(self, quiet: bool = False) -> None:
        """ctrl+t (or auto-run, `quiet`): score the selected principle's cases under both wordings."""
        pid = self.host.current
        if pid is None:
            return
        cases = self.studio.ws.cases_for(pid)
        if not cases:
            if not quiet:
                self.notify(f"{pid} has no linked cases to score", severity="warning")
            return
        saved = self.studio.ws.principles[pid].statement
        edited = self.studio.edited(pid)["statement"]
        if not edited.strip():
            if not quiet:
                self.notify(
                    f"{pid}: the statement is empty; write the wording before running the critic", severity="warning"
                )
            return
        if self.critic_running():
            if not quiet:
                self.notify(f"The critic is still running on {self.running}; escape cancels it", severity="warning")
            return
        wordings = [saved] if edited == saved else [saved, edited]
        self.running = pid
        self.run_progress = (0, len(cases) * len(wordings))
        self.show_progress()
        self.host.refresh_cases()
        self.run_critic(pid, wordings, cases)

    @work(thread=True, exclusive=True, group="critic", exit_on_error=False, description=NO_REPR)
    def run_critic(self, pid: str, wordings: list[str], cases: list[EvalCase]) -> None:
        worker = get_current_worker()
        critic = self.studio_app.critic()
        total = len(wordings) * len(cases)
        self.post_message(CriticProgressed(pid, 0, total))  # the note names what the first answer waits for
        done = 0
        for n, statement in enumerate(wordings):
            offset = n * len(cases)

            def progress(finished: int, of: int, offset: int = offset) -> None:
                share = min(finished * len(cases) // max(of, 1), len(cases))  # the critic counts its own units
                self.post_message(CriticProgressed(pid, offset + share, total))

            for case_id, label in score_wording(critic, pid, statement, cases, worker.cancelled_event, progress):
                done += 1
                self.post_message(CaseScored(pid, statement, case_id, label, done, total))
            if worker.is_cancelled:
                break
        self.post_message(CriticFinished(pid, done, worker.is_cancelled))

    def progress_note(self) -> str:
        """The status line's words for a run: always names the principle it belongs to."""
        if self.running is None:
            return ""
        done, total = self.run_progress
        loading = self.studio_app.critic_loading() if done == 0 else None
        if loading:
            return f"critic on {self.running}: {loading} then {total} to score (escape cancels)"
        return f"critic on {self.running}: {done} of {total} scored (escape cancels)"

    def show_progress(self) -> None:
        """The bar belongs to the principle being scored: shown only while that one is selected."""
        shown = self.running is not None and self.running == self.host.shown
        self.host.show_run(self.run_progress if shown else None)

    @on(CriticProgressed)
    def _progressed(self, event: CriticProgressed) -> None:
        event.stop()
        if event.principle_id != self.running:
            return
        before = self.run_progress[0]
        self.run_progress = (min(max(event.done, before), event.total), event.total)
        self.show_progress()
        if before == 0 and self.running == self.host.current:
            self.host.refresh_cases()  # the note: loading the model, or the first answers

    @on(CaseScored)
    def _scored(self, event: CaseScored) -> None:
        event.stop()
        self.studio.record(event.principle_id, event.statement, event.case_id, event.label)
        if event.principle_id == self.running:
            self.run_progress = (min(max(event.done, self.run_progress[0]), event.total), event.total)
            self.show_progress()
        if event.principle_id == self.host.current and (event.done == event.total or event.done % 8 == 0):
            self.host.refresh_cases()

    @on(CriticFinished)
    def _critic_done(self, event: CriticFinished) -> None:
        event.stop()
        if event.principle_id == self.running and not (event.cancelled and self.critic_running()):
            self.running = None  # (a cancelled run ending late leaves a newer run's state alone)
        self.show_progress()
        self.studio_app.critic_finished(event.principle_id)
        self.host.labels_changed(event.principle_id)
        if event.principle_id == self.host.current:
            self.host.refresh_cases(note=f"critic cancelled: {event.scored} results kept" if event.cancelled else "")
        self.refresh_bindings()
        if not event.cancelled and self.gpu and self.auto_run:
            self.call_later(self._catch_up)

    def _catch_up(self) -> None:
        """Auto-run: the wording may have changed again while the last run was going; score it too."""
        pid = self.host.shown
        if pid is None or self.critic_running():
            return
        edited = self.studio.edited(pid)["statement"]
        if edited.strip() and set(self.studio.labels_for(pid, edited)) != {c.id for c in self.studio.ws.cases_for(pid)}:
            self.run(quiet=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "critic":
            self.refresh_bindings()
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        if event.worker.group == "critic":
            self.running = None
        title = "The critic could not run" if event.worker.group == "critic" else "Background task failed"
        self.host.background_failed(title, event.worker.error)

    def critic_running(self) -> bool:
        return any(w.group == "critic" and w.is_running for w in self.workers)

    def cancel(self) -> None:
        """escape: stop the run; the results it finished are kept."""
        self.workers.cancel_group(self, "critic")
        self.running = None
        self.host.show_run(None)  # at once: the worker may still be inside a batch
        self.notify("Critic run cancelled; the results it finished are kept")

    # --- cached labels (no model) and auto-run -----------------------------------------

    def screen_resumed(self) -> None:
        """Back from a screen whose run scored into the cache: show those labels here too."""
        if self.studio.scores_written == self._scores_seen:
            return
        self._scores_seen = self.studio.scores_written
        self._looked_up.clear()  # what the cache lacked before may be there now
        pid = self.host.shown
        if pid is not None:
            self.request_cached(pid)
        self.lookup_all_saved()

    def request_cached(self, pid: str) -> None:
        """Show labels already in the critic's cache for `pid` under its saved and edited wording."""
        if pid not in self.studio.ws.principles or self.critic_running():
            return
        if not score_cache_exists(self.studio.root):
            return
        saved = self.studio.ws.principles[pid].statement
        edited = self.studio.edited(pid)["statement"]
        wordings = [w for w in dict.fromkeys((saved, edited)) if w.strip() and (pid, w) not in self._looked_up]
        cases = self.studio.ws.cases_for(pid)
        if wordings and cases:
            self.lookup_cached(pid, wordings, cases)

    @work(thread=True, exclusive=True, group="cache-lookup", exit_on_error=False)
    def lookup_cached(self, pid: str, wordings: list[str], cases: list[EvalCase]) -> None:
        worker = get_current_worker()
        critic = self._lookup_critic()
        for statement in wordings:
            if critic is None or worker.is_cancelled:
                return
            self.post_message(CachedLabelsFound(pid, statement, cached_labels(critic, pid, statement, cases)))

    @work(thread=True, exclusive=True, group="cache-summary", exit_on_error=False)
    def lookup_all_saved(self) -> None:
        """Label summaries for the principle list from the cache, principle by principle, after start-up."""
        if not score_cache_exists(self.studio.root):
            return
        worker = get_current_worker()
        critic = self._lookup_critic()
        ws = self.studio.ws
        for pid in self.studio.principle_ids():
            if critic is None or worker.is_cancelled or self.studio.ws is not ws:
                return
            statement = ws.principles[pid].statement
            cases = ws.cases_for(pid)
            if cases and (pid, statement) not in self._looked_up:
                self.post_message(CachedLabelsFound(pid, statement, cached_labels(critic, pid, statement, cases)))
            time.sleep(0)  # let the UI thread have the interpreter between principles
        # the cached labels are on screen: measure trust from them (not "not measured" after a restart)
        self.app.call_from_thread(self.studio_app.critic_finished, "")

    def _lookup_critic(self) -> Judge | None:
        """The critic for cache lookups, or None when it cannot be opened (that shows on ctrl+t)."""
        try:
            return self.studio_app.critic()
        except (StudioError, OSError, ValueError):
            return None

    @on(CachedLabelsFound)
    def _cached_found(self, event: CachedLabelsFound) -> None:
        event.stop()
        pid, statement = event.principle_id, event.statement
        self._looked_up.add((pid, statement))
        if not event.labels or pid not in self.studio.ws.principles:
            return
        known = self.studio.labels_for(pid, statement)
        for case_id, label in event.labels.items():
            if case_id not in known:  # a live run's result wins
                self.studio.record(pid, statement, case_id, label)
        self.host.labels_changed(pid)
        if pid == self.host.shown:
            self.host.refresh_cases()
            self.studio_app.critic_finished(pid)

    def statement_typed(self) -> None:
        """After a typing pause: look the edited wording up in the cache; with a GPU, run the critic."""
        for timer in self._typing_timers:
            timer.stop()
        self._typing_timers = [self.set_timer(LOOKUP_SECONDS, self._lookup_edited)]
        if self.auto_run and self.gpu is not False:
            self._typing_timers.append(self.set_timer(AUTO_RUN_SECONDS, self._auto_run))

    def _lookup_edited(self) -> None:
        pid = self.host.shown
        if pid is not None:
            self.request_cached(pid)

    def _auto_run(self) -> None:
        if self.gpu is None:
            self.probe_gpu()
        elif self.gpu and self.auto_run and self.host.shown is not None and not self.critic_running():
            self.run(quiet=True)

    @work(thread=True, exclusive=True, group="gpu-probe", exit_on_error=False)
    def probe_gpu(self) -> None:
        """Whether the critic runs on a GPU: asked once, in a thread (it may import torch; never at start-up)."""
        self.post_message(GpuProbed(critic_uses_gpu(self.studio_app.critic_settings())))

    def _show_auto_run(self) -> None:
        """The footer shows auto-run and its state only where it can run (a GPU)."""
        self.host.toggle_shown("f5", f"Auto-run: {on_off(self.auto_run)}", bool(self.gpu))

    @on(GpuProbed)
    def _gpu_probed(self, event: GpuProbed) -> None:
        event.stop()
        first = self.gpu is None
        self.gpu = event.available
        self._show_auto_run()
        if first and self.gpu and self.auto_run:
            self.notify("GPU found: the critic runs on your edited wording when you pause typing (f5: off)")
            self._auto_run()

    def toggle_auto_run(self) -> None:
        """f5: auto-run on typing pauses on/off (only with a GPU)."""
        if self.gpu is False:
            self.notify("Auto-run needs a GPU; on the CPU, run the critic with ctrl+t", severity="warning")
            return
        self.auto_run = not self.auto_run
        self._show_auto_run()
        self.notify("Auto-run on: the critic runs when you pause typing" if self.auto_run else "Auto-run off")
        if self.auto_run and self.gpu is None:
            self.probe_gpu()
