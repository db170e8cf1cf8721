"""The main screen: principles (filter, reorder), editor, linked cases with labels, findings.

The screen owns the `Studio` state; widgets post messages and the @on handlers here change
state and widgets. The critic's side (runs, cache lookups, auto-run) lives in the base class,
screens/critic_panes.py; its workers only post messages.

Hot paths (see docs/performance.md): the list and the filter box publish signals that this
screen handles at once, so a key's effect on the list and on the panes lands in one frame.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.signal import Signal
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, TextArea
from textual.worker import get_current_worker

from constitution_studio.core.case_authoring import delete_case
from constitution_studio.core.models import EvalCase
from constitution_studio.core.source import CASES_DIR, PRINCIPLES_DIR
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import FileChangedError, StudioError
from constitution_studio.tui.heap import bulk_load
from constitution_studio.tui.messages import (
    FieldEdited,
    JumpRequested,
    WorkspaceLoaded,
)
from constitution_studio.tui.screens.case_detail import CaseScreen
from constitution_studio.tui.screens.case_form import CaseForm
from constitution_studio.tui.screens.critic_panes import CriticPanes
from constitution_studio.tui.screens.modals import Choice, ErrorModal, disk_changed
from constitution_studio.tui.state import Studio
from constitution_studio.tui.toggles import on_off, relabel
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable
from constitution_studio.tui.widgets.editor import LABELS, PrincipleEditor
from constitution_studio.tui.widgets.findings_panel import FindingsPanel
from constitution_studio.tui.widgets.principle_table import PrincipleTable
from constitution_studio.tui.widgets.quiet import FieldInput
from constitution_studio.tui.words import plural

if TYPE_CHECKING:
    pass

DISK_CHECK_SECONDS = 2.0
NARROW_WIDTH = 110  # below this, the list and the editor take turns (the focused one is shown)
SHORT_HEIGHT = 34  # below this, the editor's fields scroll and the findings shrink
# A held arrow key repeats every ~30-50 ms: while highlights come closer together than this,
# the editor and the linked cases wait until the keys pause (the list cursor moves at once).
REPEAT_SECONDS = 0.06


class FilterInput(FieldInput):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="filter.clear"),
        Binding("down,enter", "to_table", "To list", id="filter.to_table"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        # Published as the value changes, before the Changed message: an immediate subscriber
        # filters the list in the same frame as the typed character appears.
        self.changed_signal: Signal[str] = Signal(self, "changed")

    def watch_value(self, value: str) -> None:
        self.changed_signal.publish(value)

    def action_clear(self) -> None:
        self.value = ""
        self.screen.query_one(PrincipleTable).focus()

    def action_to_table(self) -> None:
        self.screen.query_one(PrincipleTable).focus()


class MainScreen(CriticPanes):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s", "save", "Save", id="studio.save", priority=True, tooltip="Save every unsaved edit and the order"
        ),
        Binding(
            "ctrl+r",
            "revert",
            "Revert",
            id="studio.revert",
            priority=True,
            tooltip="Revert the selected principle (and the order) to the saved version; asks first",
        ),
        Binding(
            "ctrl+t",
            "run_critic",
            "Critic",
            id="studio.run_critic",
            priority=True,
            tooltip="Run the critic on the selected principle's linked cases (saved and edited wording)",
        ),
        Binding(
            "escape",
            "cancel_critic",
            "Cancel critic",
            id="studio.cancel_critic",
            tooltip="Cancel the critic run (finished results are kept)",
        ),
        Binding(
            "f2",
            "pane('principles')",
            "List",
            id="studio.pane_principles",
            priority=True,
            tooltip="Go to the principle list",
        ),
        Binding(
            "f3",
            "pane('editor')",
            "Editor",
            id="studio.pane_editor",
            priority=True,
            tooltip="Go to the editor (the statement)",
        ),
        Binding(
            "f4", "pane('cases')", "Cases", id="studio.pane_cases", priority=True, tooltip="Go to the linked cases"
        ),
        Binding(
            "ctrl+o",
            "findings",
            "Findings",
            id="studio.findings",
            priority=True,
            tooltip="Go to the findings (validation problems)",
        ),
        Binding(
            "f5",
            "toggle_auto_run",
            "Auto-run: on",
            id="studio.auto_run",
            show=False,
            tooltip="Auto-run the critic when you pause typing, on/off (GPU only)",
        ),
        Binding(
            "ctrl+g",
            "versions",
            "Versions",
            id="studio.versions",
            priority=True,
            tooltip="Compare versions: the work tree (with unsaved edits) against a git ref",
        ),
        Binding(
            "ctrl+l",
            "history",
            "History",
            id="studio.history",
            priority=True,
            tooltip="History of the selected principle",
        ),
        Binding(
            "slash",
            "focus_filter",
            "Filter",
            id="studio.filter",
            key_display="/",
            show=False,
            tooltip="Filter the principles (ID, title, tag, wording, case text)",
        ),
    ]

    def __init__(self, studio: Studio) -> None:
        super().__init__(id="main")
        self.studio = studio
        self._current: str | None = None
        self._pending: str | None = None  # highlighted while keys repeat; shown when they pause
        self._pending_timer: Timer | None = None
        self._last_highlight = 0.0
        self._unsaved_problems: list[tuple[str, str, str]] = []
        self._prompted: set[tuple[str, object]] = set()
        self._known_listing: frozenset[str] = self._listing()

    @property
    def current(self) -> str | None:
        """The principle shown in the editor (a highlight still waiting for a key pause is shown first)."""
        if self._pending is not None:
            self._show_pending()
        return self._current

    @current.setter
    def current(self, pid: str | None) -> None:
        self._current = pid

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield FilterInput(
                    placeholder="type to filter: ID, title, tag, wording or case text  (/)",
                    id="filter",
                    compact=True,
                    select_on_focus=False,
                )
                yield PrincipleTable(self.studio, id="principles")
                yield FindingsPanel(id="findings")
            with Vertical(id="right"):
                yield PrincipleEditor(id="editor")
                yield CasesPanel(id="cases-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_findings()
        table = self.principle_table
        self.query_one(CasesPanel).border_title = "Linked cases"
        self.query_one(PrincipleEditor).border_title = "Editor"
        table.focus()
        table.highlighted_signal.subscribe(self, self._highlighted_now, immediate=True)
        self.query_one(FilterInput).changed_signal.subscribe(self, self._filter_now, immediate=True)
        ids = self.studio.principle_ids()
        if ids:
            self.select(ids[0])
        self.set_interval(DISK_CHECK_SECONDS, self.check_disk)
        self.call_after_refresh(self.lookup_all_saved)  # label summaries from the cache, after first paint

    # --- selection -------------------------------------------------------------------

    def _highlighted_now(self, pid: str) -> None:
        """The list cursor moved (called at once, see PrincipleTable.highlighted_signal)."""
        now = time.monotonic()
        repeating = now - self._last_highlight < REPEAT_SECONDS
        self._last_highlight = now
        if not repeating:
            self.select(pid)
            return
        self._pending = pid
        if self._pending_timer is not None:
            self._pending_timer.stop()
        self._pending_timer = self.set_timer(REPEAT_SECONDS, self._show_pending)

    def _show_pending(self) -> None:
        if self._pending is not None:
            self.select(self._pending)

    @on(PrincipleTable.Highlighted)
    def _highlighted(self, event: PrincipleTable.Highlighted) -> None:
        # Normally handled already by _highlighted_now; this catches a list without the signal.
        if event.principle_id not in (self._current, self._pending):
            self.select(event.principle_id)

    def select(self, pid: str, force: bool = False) -> None:
        """Show one principle in the editor and its linked cases (`force`: rewrite the field being typed in too)."""
        self._pending = None
        if self._pending_timer is not None:
            self._pending_timer.stop()
            self._pending_timer = None
        if pid not in self.studio.ws.principles:
            return
        self.current = pid
        studio = self.studio
        draft = studio.draft(pid)
        self.query_one(PrincipleEditor).show(pid, draft.edited, draft.dirty_fields, studio.problems(pid), force)
        self.refresh_cases()
        self.show_progress()
        self.request_cached(pid)

    def cases(self, pid: str) -> list[EvalCase]:
        return self.studio.ws.cases_for(pid)

    def refresh_cases(self, note: str = "") -> None:
        pid = self.current
        if pid is None:
            return
        studio = self.studio
        saved = studio.ws.principles[pid].statement
        edited = studio.edited(pid)["statement"]
        trust = self.studio_app.trust_note(pid)
        self.query_one(CasesPanel).show(
            self.cases(pid),
            studio.labels_for(pid, saved),
            studio.labels_for(pid, edited),
            edited != saved,
            note=" · ".join(x for x in (self.progress_note(), note, trust) if x),
        )

    def refresh_findings(self) -> None:
        unsaved = []
        for key, draft in self.studio.drafts.items():
            if draft.dirty:
                for name, message in self.studio.problems(key).items():
                    unsaved.append((key, name, message))
        self._unsaved_problems = unsaved
        self.query_one(FindingsPanel).show(self.studio.ws.findings, unsaved)

    # --- editing ---------------------------------------------------------------------

    def sync_editor(self) -> None:
        """Fold what the editor shows into the draft before saving or quitting.

        Edits reach the draft through FieldEdited messages; a ctrl+s or ctrl+q pressed right
        after a keystroke can overtake them. Reading the fields directly loses nothing.
        """
        editor = self.query_one(PrincipleEditor)
        pid = editor.principle_id
        if pid is None or pid not in self.studio.ws.principles:
            return
        for name, value in editor.current_values().items():
            if self.studio.edited(pid).get(name) != value:
                self._edited(FieldEdited(pid, name, value))

    @on(FieldEdited)
    def _edited(self, event: FieldEdited) -> None:
        studio = self.studio
        pid = event.principle_id
        if pid not in studio.ws.principles or studio.edited(pid).get(event.name) == event.value:
            return
        studio.set_field(pid, event.name, event.value)
        draft = studio.draft(pid)
        problems = studio.problems(pid)
        self.query_one(PrincipleEditor).mark(draft.dirty_fields, problems)
        self.principle_table.invalidate(pid)
        if event.name == "statement":
            self.refresh_cases()
            self._statement_typed()
        unsaved = [(pid, n, m) for n, m in problems.items()]
        others = [u for u in self._unsaved_problems if u[0] != pid]
        if sorted(others + unsaved) != sorted(self._unsaved_problems):
            self.refresh_findings()

    @on(PrincipleTable.MoveRequested)
    def _move(self, event: PrincipleTable.MoveRequested) -> None:
        if not self.studio.move(event.principle_id, event.delta):
            if self.studio.rank(event.principle_id) is None:
                self.notify(f"{event.principle_id} is not in the priority order", severity="warning")
            return
        table = self.principle_table
        table.invalidate()
        table.rebuild(keep=event.principle_id)

    @on(PrincipleTable.EditRequested)
    def _edit(self) -> None:
        self.query_one(PrincipleEditor).focus_field("statement")

    def action_revert(self) -> None:
        """Ask first: a revert drops typed text that undo cannot bring back."""
        pid = self.current
        if pid is None:
            return
        self.sync_editor()
        changed = self.studio.draft(pid).dirty_fields if pid in self.studio.drafts else []
        what = [LABELS[f].lower() for f in changed] + (["the priority order"] if self.studio.order_dirty else [])
        if not what:
            self.notify(f"{pid} has no unsaved edits")
            return
        body = f"Drop your unsaved edits to {pid} ({', '.join(what)}) and go back to the saved version?"
        choices = [("revert", "Revert"), ("cancel", "Keep my edits")]
        self.app.push_screen(
            Choice("Revert to the saved version?", body, choices, "confirm-revert"),
            lambda choice: self.revert(pid) if choice == "revert" else None,
        )

    def revert(self, pid: str) -> None:
        order_changed = self.studio.order_dirty
        self.studio.revert(pid)
        self.select(pid, force=True)
        table = self.principle_table
        table.invalidate()
        if order_changed:
            table.rebuild(keep=pid)
        else:
            table.invalidate(pid)
        self.refresh_findings()
        self.notify(f"{pid}: back to the saved version")

    def action_pane(self, name: str) -> None:
        """F2/F3/F4: jump straight to a pane (no Tab walk through every field)."""
        if name == "principles":
            self.principle_table.focus()
        elif name == "editor":
            self.query_one(PrincipleEditor).focus_field("statement")
        else:
            self.query_one(CaseTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        """Below a width, one column at a time; below a height, panes shrink to fit (80x24 works)."""
        self.set_class(event.size.width < NARROW_WIDTH, "narrow")
        self.set_class(event.size.height < SHORT_HEIGHT, "short")
        self._follow_focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._follow_focus()

    def _follow_focus(self) -> None:
        """In the narrow layout, show the column that has the focus."""
        focused = self.focused
        right = focused is not None and any(n.id == "right" for n in focused.ancestors)
        if right and self.has_class("narrow") and not self.has_class("show-right"):
            self.call_after_refresh(self._rewrap_statement)
        self.set_class(right, "show-right")

    def _rewrap_statement(self) -> None:
        """The statement was wrapped while its column was hidden (width 0): wrap it at its real width."""
        area = self.query_one("#f-statement", TextArea)
        area._rewrap_and_refresh_virtual_size()  # what a resize does (Textual 8)
        area.refresh()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def _filter_now(self, query: str) -> None:
        """The filter box changed (called at once, see FilterInput.changed_signal)."""
        table = self.principle_table
        if query == table.filter_text:
            return
        table.apply_filter(query, keep=self._current)
        if not table.ids:  # never an editor for a principle the filter hides
            self._current = None
            self.query_one(PrincipleEditor).blank("No principle matches the filter (escape clears it)")
            self.query_one(CasesPanel).show([], {}, {}, False)
        elif self._current not in table.ids or self._current is None:
            pid = table.current_id()
            if pid is not None:
                self.select(pid)

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self._filter_now(event.value)  # normally done already

    def action_findings(self) -> None:
        self.query_one(FindingsPanel).focus()

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

    # --- other screens ---------------------------------------------------------------

    @on(CaseTable.OpenRequested)
    def _open_case(self, event: CaseTable.OpenRequested) -> None:
        case = self.studio.ws.cases.get(event.case_id)
        pid = self.current
        if case is None or pid is None:
            return
        saved = self.studio.labels_for(pid, self.studio.ws.principles[pid].statement).get(case.id)
        edited = self.studio.labels_for(pid, self.studio.edited(pid)["statement"]).get(case.id)
        self.app.push_screen(CaseScreen(case, list(case.principles), saved, edited))

    @on(CaseTable.CaseEditRequested)
    def _case_edit(self, event: CaseTable.CaseEditRequested) -> None:
        """n / e / delete on the linked cases: the case form, or delete after asking."""
        pid = self.current
        if pid is None:
            return
        case = self.studio.ws.cases.get(event.case_id) if event.case_id is not None else None
        if event.case_id is not None and case is None:
            return
        if event.delete and case is not None:
            relpath = self.studio.ws.case_paths[case.id]
            body = f"Delete case {case.id} from {relpath}? The other cases and the comments stay."
            self.app.push_screen(
                Choice("Delete this case?", body, [("delete", "Delete"), ("cancel", "Keep it")], "confirm-delete-case"),
                lambda choice: self._delete_case(case.id, relpath) if choice == "delete" else None,
            )
            return
        self.app.push_screen(CaseForm(self.studio.root, self.studio.ws, pid, case), self._case_written)

    def _delete_case(self, case_id: str, relpath: str) -> None:
        try:
            delete_case(self.studio.root, relpath, case_id)
        except (StudioError, OSError) as exc:
            self.app.push_screen(
                ErrorModal("Delete failed", exc.one_line() if isinstance(exc, StudioError) else str(exc))
            )
            return
        self._case_written(relpath, f"Deleted {case_id} from {relpath}")

    def _case_written(self, relpath: str | None, message: str | None = None) -> None:
        """A case file was written: reload so the list, the cases and the findings show it."""
        if relpath is None:
            return
        self.notify(message or f"Saved {relpath}")
        self.revalidate()

    def action_move_selected(self, delta: int) -> None:
        if self.current is not None:
            self._move(PrincipleTable.MoveRequested(self.current, delta))

    def jump_to(self, pid: str) -> None:
        self._jump(JumpRequested(pid))

    @on(CaseTable.FlipsToggled)
    def action_toggle_flips(self) -> None:
        panel = self.query_one(CasesPanel)
        panel.flips_only = not panel.flips_only
        relabel(self.query_one(CaseTable), "f", f"Flips only: {on_off(panel.flips_only)}")
        self.refresh_cases()

    @on(JumpRequested)
    def _jump(self, event: JumpRequested) -> None:
        table = self.principle_table
        pid = event.principle_id
        loaded = self.studio.ws.principles
        if (pid is None or pid not in loaded) and event.case_id in self.studio.ws.cases:
            pid = next((p for p in self.studio.ws.cases[event.case_id].principles if p in loaded), None)
        if pid is None or pid not in self.studio.ws.principles:
            self.notify("That finding is not about a loaded principle; open the file it names", severity="warning")
            return
        if pid not in table.ids:
            self.query_one("#filter", Input).value = ""
            table.apply_filter("")
        table.select_id(pid)
        self.select(pid)
        if event.case_id is not None:
            cases_table = self.query_one(CaseTable)
            if cases_table.select_id(event.case_id):
                cases_table.focus()
                return
        self.query_one(PrincipleEditor).focus_field("statement")

    def action_versions(self) -> None:
        from constitution_studio.tui.screens.versions import VersionsScreen

        self.app.push_screen(VersionsScreen(self.studio, self.current))

    def action_history(self) -> None:
        if self.current is None:
            return
        from constitution_studio.tui.screens.versions import HistoryScreen

        self.app.push_screen(HistoryScreen(self.studio, self.current))
