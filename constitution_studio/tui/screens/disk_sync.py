"""The main screen's part that keeps the files and the screen in step: saving, the reload after
it, and watching the files on disk.

`DiskSync` is an invisible widget the main screen composes: it owns what was already asked
about or reported, the file listing last seen, the poll and the background reload (its worker
posts to it). It knows the screen only as a `DiskHost` (a narrow typed interface: the shown
principle; fold the editor into the drafts; draw the list, the findings and one principle again;
show a failure). Saving checks the disk first; a poll every `DISK_CHECK_SECONDS`, and the
terminal regaining focus (the app calls `check_disk`), reload clean files quietly, ask once
about edited ones, and reload the whole constitution when a file appeared or went away.
"""

from __future__ import annotations

import os
from typing import ClassVar, Protocol

from textual import on, work
from textual.widget import Widget
from textual.worker import Worker, WorkerState, get_current_worker

from constitution_studio.core.source import CASES_DIR, PRINCIPLES_DIR
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import FileChangedError, StudioError
from constitution_studio.tui.heap import bulk_load
from constitution_studio.tui.messages import WorkspaceLoaded
from constitution_studio.tui.screens.modals import ErrorModal, disk_changed
from constitution_studio.tui.state import Studio
from constitution_studio.tui.widgets.editor import LABELS
from constitution_studio.tui.words import plural

DISK_CHECK_SECONDS = 2.0


class DiskHost(Protocol):
    """What saving and disk watching ask of the screen that shows the principles (MainScreen)."""

    @property
    def current(self) -> str | None:
        """The principle in the editor (a highlight still waiting for a key pause is shown first)."""
        ...

    def sync_editor(self) -> None:
        """Fold what the editor shows into the drafts (a keystroke's message may still be queued)."""
        ...

    def rebuild_list(self, keep: str | None) -> str | None:
        """Draw the principle list again from the files, the cursor on `keep` where it still is;
        returns the principle at the cursor."""
        ...

    def reselect(self, principle_id: str, force: bool = False) -> None:
        """Show `principle_id` again (none, when it is gone); `force`: the field being typed in too."""
        ...

    def refresh_findings(self) -> None:
        """Draw the findings again (the files' and the unsaved edits')."""
        ...

    def background_failed(self, title: str, error: BaseException) -> None:
        """A worker failed: the bar goes idle, the error is shown, the cases drawn again."""
        ...


class DiskSync(Widget):
    """Saving and watching the disk for the main screen (no display of its own)."""

    DEFAULT_CSS: ClassVar[str] = "DiskSync { display: none; }"

    def __init__(self, studio: Studio, host: DiskHost) -> None:
        super().__init__(id="disk-sync")
        self.studio = studio
        self.host = host
        self._prompted: set[tuple[str, object]] = set()  # what was already asked or reported, once each
        self._known_listing: frozenset[str] = self._listing()

    def on_mount(self) -> None:
        self.poll = self.set_interval(DISK_CHECK_SECONDS, self.check_disk)

    # --- saving ----------------------------------------------------------------------

    def save_requested(self) -> None:
        """ctrl+s: ask first about files changed on disk, then save."""
        self.host.sync_editor()
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
            self.save_requested()
            return False
        except (StudioError, OSError) as exc:
            message = exc.one_line() if isinstance(exc, StudioError) else str(exc)
            self.app.push_screen(ErrorModal("Save failed", message))
            return False
        if outcome.problems:
            self.host.refresh_findings()
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
        current = self.host.current
        if current is not None and current not in self.studio.ws.principles:
            renamed = [d.key for d in self.studio.drafts.values() if d.relpath in saved]
            current = renamed[0] if renamed else None
        self.host.rebuild_list(keep=current)
        if current is not None:
            self.host.reselect(current)
        self.host.refresh_findings()
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
        event.stop()
        self.studio.adopt_workspace(event.workspace)
        self._known_listing = self._listing()
        at_cursor = self.host.rebuild_list(keep=self.host.current)
        self.host.refresh_findings()
        current = self.host.current  # (the list's cursor may have moved the selection)
        if current is not None and current in self.studio.ws.principles:
            self.host.reselect(current)
        elif at_cursor is not None:
            self.host.reselect(at_cursor)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.host.background_failed("Background task failed", event.worker.error)

    # --- files changed on disk ---------------------------------------------------------

    def check_disk(self) -> None:
        """Poll the loaded files: clean ones reload quietly; edited ones ask reload/keep once.

        A file deleted on disk, or a principle or case file that appeared or went away (a `git
        checkout`), reloads the whole constitution in the background: the list then shows
        what is on disk, and a deleted file is reported once, never again on the next poll.
        """
        if self.app.screen is not self.screen:
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
        self.host.rebuild_list(keep=self.host.current)
        current = self.host.current  # (the list's cursor may have moved the selection)
        if current is not None:
            self.host.reselect(current, force=True)
        self.host.refresh_findings()
        self.notify(("Kept your edits over " if keep else "Reloaded ") + ", ".join(paths))
