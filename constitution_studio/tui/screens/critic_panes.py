"""The critic's side of the main screen: runs, cached labels, auto-run on typing pauses.

`CriticPanes` is the base class of `MainScreen`, which provides the selection (`current`),
`cases()` and `refresh_cases()`. Workers here run in threads and only post messages:
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
from typing import Any

from textual import on, work
from textual.screen import Screen
from textual.timer import Timer
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
from constitution_studio.tui.screens.modals import ErrorModal
from constitution_studio.tui.services import StudioServices, services
from constitution_studio.tui.state import Studio
from constitution_studio.tui.toggles import on_off, relabel
from constitution_studio.tui.widgets.cases_panel import CasesPanel
from constitution_studio.tui.widgets.principle_table import PrincipleTable
from constitution_studio.tui.workers import NO_REPR

LOOKUP_SECONDS = 0.3  # typing pause after which the edited wording is looked up in the score cache
AUTO_RUN_SECONDS = 0.8  # typing pause after which the critic runs on the edited wording (GPU only)


class CriticPanes(Screen[None]):
    studio: Studio
    _current: str | None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._looked_up: set[tuple[str, str]] = set()  # (principle, wording) already asked of the cache
        self._typing_timers: list[Timer] = []
        # Auto-run on typing pauses: only with a GPU (probed on the first pause); f5 turns it off.
        self.gpu: bool | None = None
        self.auto_run = True
        self.running: str | None = None  # the principle the critic is scoring now
        self.run_progress: tuple[int, int] = (0, 0)
        self._scores_seen = 0  # `studio.scores_written` when the labels were last looked up

    # --- provided by MainScreen --------------------------------------------------------

    @property
    def current(self) -> str | None:
        raise NotImplementedError

    def cases(self, pid: str) -> list[EvalCase]:
        raise NotImplementedError

    def refresh_cases(self, note: str = "") -> None:
        raise NotImplementedError

    @property
    def principle_table(self) -> PrincipleTable:
        return self.query_one("#principles", PrincipleTable)

    @property
    def studio_app(self) -> StudioServices:
        """The app's services (the critic, its trust), typed: see tui/services.py."""
        return services(self)

    # --- critic ----------------------------------------------------------------------

    def action_run_critic(self, quiet: bool = False) -> None:
        pid = self.current
        if pid is None:
            return
        cases = self.cases(pid)
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
        self.refresh_cases()
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
        panel = self.query_one(CasesPanel)
        if self.running is not None and self.running == self._current:
            panel.progress(*self.run_progress)
        else:
            panel.idle()

    @on(CriticProgressed)
    def _progressed(self, event: CriticProgressed) -> None:
        if event.principle_id != self.running:
            return
        before = self.run_progress[0]
        self.run_progress = (min(max(event.done, before), event.total), event.total)
        self.show_progress()
        if before == 0 and self.running == self.current:
            self.refresh_cases()  # the note: loading the model, or the first answers

    @on(CaseScored)
    def _scored(self, event: CaseScored) -> None:
        self.studio.record(event.principle_id, event.statement, event.case_id, event.label)
        if event.principle_id == self.running:
            self.run_progress = (min(max(event.done, self.run_progress[0]), event.total), event.total)
            self.show_progress()
        if event.principle_id == self.current and (event.done == event.total or event.done % 8 == 0):
            self.refresh_cases()

    @on(CriticFinished)
    def _critic_done(self, event: CriticFinished) -> None:
        if event.principle_id == self.running and not (event.cancelled and self.critic_running()):
            self.running = None  # (a cancelled run ending late leaves a newer run's state alone)
        self.show_progress()
        self.studio_app.critic_finished(event.principle_id)
        self.principle_table.invalidate(event.principle_id)
        if event.principle_id == self.current:
            self.refresh_cases(note=f"critic cancelled: {event.scored} results kept" if event.cancelled else "")
        self.refresh_bindings()
        if not event.cancelled and self.gpu and self.auto_run:
            self.call_later(self._catch_up)

    def _catch_up(self) -> None:
        """Auto-run: the wording may have changed again while the last run was going; score it too."""
        pid = self._current
        if pid is None or self.critic_running():
            return
        edited = self.studio.edited(pid)["statement"]
        if edited.strip() and set(self.studio.labels_for(pid, edited)) != {c.id for c in self.cases(pid)}:
            self.action_run_critic(quiet=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "critic":
            self.refresh_bindings()
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group == "critic":
            self.running = None
        self.query_one(CasesPanel).idle()
        error = event.worker.error
        message = error.one_line() if isinstance(error, StudioError) else f"{type(error).__name__}: {error}"
        title = "The critic could not run" if event.worker.group == "critic" else "Background task failed"
        self.app.push_screen(ErrorModal(title, message))
        self.refresh_cases()

    def critic_running(self) -> bool:
        return any(w.group == "critic" and w.is_running for w in self.workers)

    def action_cancel_critic(self) -> None:
        self.workers.cancel_group(self, "critic")
        self.running = None
        self.query_one(CasesPanel).idle()  # at once: the worker may still be inside a batch
        self.notify("Critic run cancelled; the results it finished are kept")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_critic":
            return self.critic_running()
        return True

    # --- cached labels (no model) and auto-run -----------------------------------------

    def on_screen_resume(self) -> None:
        """Back from a screen whose run scored into the cache: show those labels here too."""
        if self.studio.scores_written == self._scores_seen:
            return
        self._scores_seen = self.studio.scores_written
        self._looked_up.clear()  # what the cache lacked before may be there now
        if self._current is not None:
            self.request_cached(self._current)
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
        cases = self.cases(pid)
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

    def _lookup_critic(self) -> Any:
        """The critic for cache lookups, or None when it cannot be opened (that shows on ctrl+t)."""
        try:
            return self.studio_app.critic()
        except (StudioError, OSError, ValueError):
            return None

    @on(CachedLabelsFound)
    def _cached_found(self, event: CachedLabelsFound) -> None:
        pid, statement = event.principle_id, event.statement
        self._looked_up.add((pid, statement))
        if not event.labels or pid not in self.studio.ws.principles:
            return
        known = self.studio.labels_for(pid, statement)
        for case_id, label in event.labels.items():
            if case_id not in known:  # a live run's result wins
                self.studio.record(pid, statement, case_id, label)
        self.principle_table.invalidate(pid)
        if pid == self._current:
            self.refresh_cases()
            self.studio_app.critic_finished(pid)

    def _statement_typed(self) -> None:
        """After a typing pause: look the edited wording up in the cache; with a GPU, run the critic."""
        for timer in self._typing_timers:
            timer.stop()
        self._typing_timers = [self.set_timer(LOOKUP_SECONDS, self._lookup_edited)]
        if self.auto_run and self.gpu is not False:
            self._typing_timers.append(self.set_timer(AUTO_RUN_SECONDS, self._auto_run))

    def _lookup_edited(self) -> None:
        if self._current is not None:
            self.request_cached(self._current)

    def _auto_run(self) -> None:
        if self.gpu is None:
            self.probe_gpu()
        elif self.gpu and self.auto_run and self._current is not None and not self.critic_running():
            self.action_run_critic(quiet=True)

    @work(thread=True, exclusive=True, group="gpu-probe", exit_on_error=False)
    def probe_gpu(self) -> None:
        """Whether the critic runs on a GPU: asked once, in a thread (it may import torch; never at start-up)."""
        self.post_message(GpuProbed(critic_uses_gpu(self.studio_app.critic_settings())))

    def _show_auto_run(self) -> None:
        """The footer shows auto-run and its state only where it can run (a GPU)."""
        relabel(self, "f5", f"Auto-run: {on_off(self.auto_run)}", show=bool(self.gpu))

    @on(GpuProbed)
    def _gpu_probed(self, event: GpuProbed) -> None:
        first = self.gpu is None
        self.gpu = event.available
        self._show_auto_run()
        if first and self.gpu and self.auto_run:
            self.notify("GPU found: the critic runs on your edited wording when you pause typing (f5: off)")
            self._auto_run()

    def action_toggle_auto_run(self) -> None:
        if self.gpu is False:
            self.notify("Auto-run needs a GPU; on the CPU, run the critic with ctrl+t", severity="warning")
            return
        self.auto_run = not self.auto_run
        self._show_auto_run()
        self.notify("Auto-run on: the critic runs when you pause typing" if self.auto_run else "Auto-run off")
        if self.auto_run and self.gpu is None:
            self.probe_gpu()
