"""Saving, the background reload after it, and watching the files on disk (the main screen's half).

`DiskPanes` is the base class of `MainScreen` (a Screen, so the @on handlers here are found).
`MainScreen` provides the selection (`current`, `select`),
`refresh_findings` and `sync_editor`. Saving checks the disk first; a poll every
`DISK_CHECK_SECONDS`, and the terminal regaining focus, reload clean files quietly, ask once
about edited ones, and reload the whole constitution when a file appeared or went away.
"""

from __future__ import annotations

import os
from typing import Any

from textual import on, work
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from constitution_studio.core.source import CASES_DIR, PRINCIPLES_DIR
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import FileChangedError, StudioError
from constitution_studio.tui.heap import bulk_load
from constitution_studio.tui.messages import WorkspaceLoaded
from constitution_studio.tui.screens.modals import ErrorModal, disk_changed
from constitution_studio.tui.state import Studio
from constitution_studio.tui.widgets.editor import LABELS
from constitution_studio.tui.widgets.principle_table import PrincipleTable
from constitution_studio.tui.words import plural

DISK_CHECK_SECONDS = 2.0


class DiskPanes(Screen[None]):
    studio: Studio

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._prompted: set[tuple[str, object]] = set()  # what was already asked or reported, once each
        self._known_listing: frozenset[str] = frozenset()  # MainScreen sets it once `studio` is there

    # --- provided by MainScreen --------------------------------------------------------

    @property
    def current(self) -> str | None:
        raise NotImplementedError

    @current.setter
    def current(self, pid: str | None) -> None:
        raise NotImplementedError

    def select(self, pid: str, force: bool = False) -> None:
        raise NotImplementedError

    def refresh_findings(self) -> None:
        raise NotImplementedError

    def sync_editor(self) -> None:
        raise NotImplementedError

    def background_failed(self, title: str, error: BaseException) -> None:
        raise NotImplementedError

    @property
    def principle_table(self) -> PrincipleTable:
        return self.query_one("#principles", PrincipleTable)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.background_failed("Background task failed", event.worker.error)

    # --- saving ----------------------------------------------------------------------

    def action_save(self) -> None:
        self.sync_editor()
        changed = self.studio.changed_on_disk()
        if changed:
            self.app.push_screen(disk_changed(changed), lambda choice: self._resolve_disk(changed, choice, True))
            return
        self.save()

    def save(self) -> bool:
        """Write every unsaved edit; False when nothing could be saved (problems or an error)."""
        try:
            outcome = self.studio.save_all()
        except FileChangedError:
            self.action_save()
            return False
        except (StudioError, OSError) as exc:
            message = exc.one_line() if isinstance(exc, StudioError) else str(exc)
            self.app.push_screen(ErrorModal("Save failed", message))
            return False
        if outcome.problems:
            self.refresh_findings()
            count = sum(len(p) for p in outcome.problems.values())
            where = ", ".join(
                f"{pid} {LABELS.get(name, name).lower()}" for pid, probs in outcome.problems.items() for name in probs
            )
            self.notify(f"Nothing saved: {plural(count, 'problem')} in unsaved edits ({where})", severity="error")
            return False
        if not outcome.saved:
            self.notify("Nothing to save")
            return True
        self.after_save(outcome.saved)
        return True

    def after_save(self, saved: list[str]) -> None:
        current = self.current
        if current is not None and current not in self.studio.ws.principles:
            renamed = [d.key for d in self.studio.drafts.values() if d.relpath in saved]
            current = renamed[0] if renamed else None
        table = self.principle_table
        table.invalidate()
        table.rebuild(keep=current)
        if current is not None:
            self.current = None
            self.select(current)
        self.refresh_findings()
        self.notify("Saved " + ", ".join(saved))
        self.revalidate()

    @work(thread=True, exclusive=True, group="revalidate", exit_on_error=False)
    def revalidate(self) -> None:
        """Load the constitution again in the background to refresh the findings after a save."""
        worker = get_current_worker()
        with bulk_load():
            ws = load_root(self.studio.root)
        if not worker.is_cancelled:
            self.post_message(WorkspaceLoaded(ws))

    @on(WorkspaceLoaded)
    def _reloaded(self, event: WorkspaceLoaded) -> None:
        self.studio.adopt_workspace(event.workspace)
        self._known_listing = self._listing()
        table = self.principle_table
        table.invalidate()
        table.rebuild(keep=self.current)
        self.refresh_findings()
        if self.current is not None and self.current in self.studio.ws.principles:
            self.select(self.current)
        elif table.current_id() is not None:
            self.current = None
            self.select(table.current_id() or "")

    # --- files changed on disk ---------------------------------------------------------

    def check_disk(self) -> None:
        """Poll the loaded files: clean ones reload quietly; edited ones ask reload/keep once.

        A file deleted on disk, or a principle or case file that appeared or went away (a `git
        checkout`), reloads the whole constitution in the background: the list then shows
        what is on disk, and a deleted file is reported once, never again on the next poll.
        """
        if self.app.screen is not self:
            return
        studio = self.studio
        changed = studio.changed_on_disk()
        listing = self._listing()
        if not changed and listing == self._known_listing:
            return
        gone = [p for p in changed if not (studio.root / p).exists()]
        if gone or listing != self._known_listing:
            self._known_listing = listing
            lost = [d.key for d in studio.drafts.values() if d.dirty and d.relpath in gone]
            stamp: tuple[str, object] = ("deleted", tuple(sorted(gone)))
            if gone and stamp not in self._prompted:
                self._prompted.add(stamp)
                message = "Deleted on disk: " + ", ".join(gone)
                if lost:
                    message += f" (your unsaved edits to {', '.join(lost)} are dropped)"
                self.notify(message + "; reloaded", severity="warning" if lost else "information")
            self.revalidate()
            return
        dirty_paths = {d.relpath for d in studio.drafts.values() if d.dirty}
        ask: list[str] = []
        for relpath in changed:
            is_order = relpath.endswith("constitution.yaml") and studio.order_dirty
            if relpath in dirty_paths or is_order:
                stamp = (relpath, hash((studio.root / relpath).read_bytes()))
                if stamp not in self._prompted:
                    self._prompted.add(stamp)
                    ask.append(relpath)
            else:
                self._reload([relpath], keep=False)
        if ask:
            self.app.push_screen(disk_changed(ask), lambda choice: self._resolve_disk(ask, choice, False))

    def _listing(self) -> frozenset[str]:
        """The principle and case file names on disk: a new or vanished file means a full reload."""
        names: set[str] = set()
        for folder in (PRINCIPLES_DIR, CASES_DIR):
            try:
                names.update(
                    f"{folder}/{n}" for n in os.listdir(self.studio.root / folder) if n.endswith((".yaml", ".yml"))
                )
            except OSError:
                continue
        return frozenset(names)

    def on_app_focus(self) -> None:
        self.check_disk()

    def _resolve_disk(self, paths: list[str], choice: str | None, then_save: bool) -> None:
        if choice == "reload":
            self._reload(paths, keep=False)
        elif choice == "keep":
            self._reload(paths, keep=True)
            if then_save:
                self.save()

    def _reload(self, paths: list[str], keep: bool) -> None:
        for relpath in paths:
            try:
                self.studio.reload_file(relpath, keep_edits=keep)
            except StudioError as exc:
                self.app.push_screen(ErrorModal("Could not reload", exc.one_line()))
        table = self.principle_table
        table.invalidate()
        table.rebuild(keep=self.current)
        if self.current is not None:
            pid, self.current = self.current, None
            self.select(pid, force=True)
        self.refresh_findings()
        self.notify(("Kept your edits over " if keep else "Reloaded ") + ", ".join(paths))
