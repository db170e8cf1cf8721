"""The main screen: principles (filter, reorder), editor, linked cases with labels, findings.

Built by composition, no base classes of its own: the screen owns the `Studio` state, the
layout, the selection and the keys; widgets post messages and the @on handlers here change
state and widgets. Its parts each own their state and widgets:
- the linked cases, a pane that owns its actions (screens/cases_pane.py: open, write, delete,
  flips only) and tells the screen through messages;
- the critic's part (screens/critic_runner.py `CriticRunner`: runs, cache lookups, auto-run,
  the GPU probe; its workers only post messages to it);
- saving and watching the files on disk (screens/disk_sync.py `DiskSync`: save, the reload
  after it, the poll, reload/keep questions).
The two last are invisible widgets the screen composes (workers and timers need a node); each
knows the screen only through a narrow typed Protocol (`CriticHost`, `DiskHost`) that this
screen implements in the sections named after them, and the app only through tui/services.py.
The keys are in screens/main_keys.py; the screen's actions for its parts are one-line delegations.

Hot paths (see docs/performance.md): the list and the filter box publish signals that this
screen handles at once, so a key's effect on the list and on the panes lands in one frame.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.widgets import Header, Input, TextArea

from constitution_studio.errors import StudioError
from constitution_studio.tui.messages import (
    FieldEdited,
    JumpRequested,
)
from constitution_studio.tui.screens.cases_pane import CaseFileWritten, CasesPane, FlipsOnlyChanged
from constitution_studio.tui.screens.critic_runner import CriticRunner
from constitution_studio.tui.screens.disk_sync import DiskSync
from constitution_studio.tui.screens.main_keys import MAIN_BINDINGS
from constitution_studio.tui.screens.modals import Choice, ErrorModal
from constitution_studio.tui.services import StudioServices, services
from constitution_studio.tui.state import Studio
from constitution_studio.tui.toggles import relabel
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable
from constitution_studio.tui.widgets.editor import LABELS, PrincipleEditor
from constitution_studio.tui.widgets.findings_panel import FindingsPanel
from constitution_studio.tui.widgets.footer import StudioFooter
from constitution_studio.tui.widgets.principle_table import PrincipleTable
from constitution_studio.tui.widgets.quiet import FieldInput

NARROW_WIDTH = 110  # below this, the list and the editor take turns (the focused one is shown)
WIDE_WIDTH = 150  # from this, the list takes half the width (whole titles, not 16 characters)
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


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = MAIN_BINDINGS

    def __init__(self, studio: Studio) -> None:
        super().__init__(id="main")
        self.studio = studio
        self._current: str | None = None
        self._pending: str | None = None  # highlighted while keys repeat; shown when they pause
        self._pending_timer: Timer | None = None
        self._last_highlight = 0.0
        self._unsaved_problems: list[tuple[str, str, str]] = []
        # the screen's parts (invisible widgets that own their state and workers; see their Host protocols)
        self.critic_runner = CriticRunner(studio, host=self)
        self.disk_sync = DiskSync(studio, host=self)

    @property
    def current(self) -> str | None:
        """The principle shown in the editor (a highlight still waiting for a key pause is shown first)."""
        if self._pending is not None:
            self._show_pending()
        return self._current

    @current.setter
    def current(self, pid: str | None) -> None:
        self._current = pid

    @property
    def shown(self) -> str | None:
        """The principle in the editor now (a highlight waiting for a key pause stays waiting)."""
        return self._current

    @property
    def principle_table(self) -> PrincipleTable:
        return self.query_one("#principles", PrincipleTable)

    @property
    def studio_app(self) -> StudioServices:
        """The app's services (the critic, its trust), typed: see tui/services.py."""
        return services(self)

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
                yield CasesPane(self.studio, id="cases-panel")
        yield StudioFooter()
        yield self.critic_runner
        yield self.disk_sync

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
        # label summaries from the cache, after first paint
        self.call_after_refresh(self.critic_runner.lookup_all_saved)

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
        self.critic_runner.show_progress()
        self.critic_runner.request_cached(pid)

    def refresh_cases(self, note: str = "") -> None:
        pid = self.current
        if pid is None:
            return
        studio = self.studio
        saved = studio.ws.principles[pid].statement
        edited = studio.edited(pid)["statement"]
        trust = self.studio_app.trust_note(pid)
        self.query_one(CasesPanel).show(
            studio.ws.cases_for(pid),
            studio.labels_for(pid, saved),
            studio.labels_for(pid, edited),
            edited != saved,
            note=" · ".join(x for x in (self.critic_runner.progress_note(), note) if x),
            trust=trust,
            principle_id=pid,
            zero_flips=self.studio_app.zero_flips_warning(pid),
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
            self.critic_runner.statement_typed()
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
        self.set_class(event.size.width >= WIDE_WIDTH, "wide")
        self.set_class(event.size.height < SHORT_HEIGHT, "short")
        self._follow_focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._follow_focus()

    def _follow_focus(self) -> None:
        """In the narrow layout, show the column that has the focus; on a short terminal the
        linked cases, when they have the focus, take the height the editor's fields had."""
        focused = self.focused
        right = focused is not None and any(n.id == "right" for n in focused.ancestors)
        if right and self.has_class("narrow") and not self.has_class("show-right"):
            self.call_after_refresh(self._rewrap_statement)
        self.set_class(right, "show-right")
        cases = focused is not None and any(n.id == "cases-panel" for n in focused.ancestors)
        if self.has_class("cases-focus") and not cases:
            self.call_after_refresh(self._rewrap_statement)
        self.set_class(cases, "cases-focus")

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

    # --- the linked cases' pane --------------------------------------------------------

    @on(CaseFileWritten)
    def _case_file_written(self, event: CaseFileWritten) -> None:
        """A case was added, edited or deleted: reload, so the list, the cases and the findings show it."""
        self.notify(event.message)
        self.disk_sync.revalidate()

    @on(FlipsOnlyChanged)
    def _flips_only_changed(self) -> None:
        self.refresh_cases()

    def action_toggle_flips(self) -> None:
        """The palette's "Toggle flips only" (f on the linked cases does the same)."""
        self.query_one(CasesPane).toggle_flips()

    # --- the critic's part (screens/critic_runner.py): its keys, and what it asks of the screen ---

    def action_run_critic(self, quiet: bool = False) -> None:
        self.critic_runner.run(quiet)

    def action_cancel_critic(self) -> None:
        self.critic_runner.cancel()

    def action_toggle_auto_run(self) -> None:
        self.critic_runner.toggle_auto_run()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_critic":
            return self.critic_runner.critic_running()
        return True

    def on_screen_resume(self) -> None:
        self.critic_runner.screen_resumed()

    def show_run(self, progress: tuple[int, int] | None) -> None:
        panel = self.query_one(CasesPanel)
        if progress is None:
            panel.idle()
        else:
            panel.progress(*progress)

    def labels_changed(self, principle_id: str) -> None:
        self.principle_table.invalidate(principle_id)

    def toggle_shown(self, key: str, description: str, show: bool) -> None:
        relabel(self, key, description, show=show)

    def background_failed(self, title: str, error: BaseException) -> None:
        self.query_one(CasesPanel).idle()
        message = error.one_line() if isinstance(error, StudioError) else f"{type(error).__name__}: {error}"
        self.app.push_screen(ErrorModal(title, message))
        self.refresh_cases()

    # --- saving and the files on disk (screens/disk_sync.py): its key, and what it asks of the screen ---

    def action_save(self) -> None:
        self.disk_sync.save_requested()

    def rebuild_list(self, keep: str | None) -> str | None:
        table = self.principle_table
        table.invalidate()
        table.rebuild(keep=keep)
        return table.current_id()

    def reselect(self, principle_id: str, force: bool = False) -> None:
        self.current = None  # stays None when the principle is gone
        self.select(principle_id, force)

    # --- other screens ---------------------------------------------------------------

    def action_move_selected(self, delta: int) -> None:
        if self.current is not None:
            self._move(PrincipleTable.MoveRequested(self.current, delta))

    def jump_to(self, pid: str) -> None:
        self._jump(JumpRequested(pid))

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
