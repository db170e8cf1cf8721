"""The linked cases as a pane of the main screen that owns its actions: open, write (n / e), delete, flips only.

The pane is the cases panel (widgets/cases_panel.py: what it draws) plus what its keys do; the
case table's messages reach it first (it is their parent), and it tells the screen what
happened through messages (`CaseFileWritten`, `FlipsOnlyChanged`) instead of calling it. The
main screen shows the pane's rows (it owns the labels and the trust) and reloads the
constitution after a case file is written.
"""

from __future__ import annotations

from textual import on
from textual.message import Message

from constitution_studio.core.case_authoring import delete_case
from constitution_studio.core.models import EvalCase
from constitution_studio.core.sanitize import sanitize
from constitution_studio.errors import StudioError
from constitution_studio.tui.screens.case_detail import CaseScreen
from constitution_studio.tui.screens.case_form import CaseForm
from constitution_studio.tui.screens.modals import Choice, ErrorModal
from constitution_studio.tui.state import Studio
from constitution_studio.tui.toggles import on_off, relabel
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable


def has_control_characters(case: EvalCase) -> bool:
    """Whether a case's text holds control or bidi characters (the form would show them raw or rewrite them)."""
    texts = [case.id, *case.principles, *(t.content for t in case.turns), case.response, case.a, case.b, case.note]
    texts += list(case.tags)
    return any(t and sanitize(t, keep_newlines=True) != t for t in texts)


class CaseFileWritten(Message):
    """A case file was written (a case added, edited or deleted): the screen reloads the constitution."""

    def __init__(self, relpath: str, message: str) -> None:
        super().__init__()
        self.relpath = relpath
        self.message = message


class FlipsOnlyChanged(Message):
    """The pane shows only flips now, or all cases again: the screen shows its rows again."""


class CasesPane(CasesPanel):
    """The linked cases of the principle shown, with their keys' actions."""

    def __init__(self, studio: Studio, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.studio = studio

    @on(CaseTable.OpenRequested)
    def _open_case(self, event: CaseTable.OpenRequested) -> None:
        event.stop()
        case = self.studio.ws.cases.get(event.case_id)
        pid = self.principle_id
        if case is None or pid is None or pid not in self.studio.ws.principles:
            return
        statement, wording = self.studio.ws.principles[pid].statement, self.studio.edited(pid)["statement"]
        saved = self.studio.labels_for(pid, statement).get(case.id)
        edited = self.studio.labels_for(pid, wording).get(case.id)
        unsaved = wording != statement
        self.app.push_screen(CaseScreen(case, saved, edited, principle_id=pid, unsaved=unsaved))

    @on(CaseTable.CaseEditRequested)
    def _case_edit(self, event: CaseTable.CaseEditRequested) -> None:
        """n / e / delete on the linked cases: the case form, or delete after asking."""
        event.stop()
        pid = self.principle_id
        if pid is None:
            return
        case = self.studio.ws.cases.get(event.case_id) if event.case_id is not None else None
        if event.case_id is not None and case is None:
            return
        if case is not None and not event.delete and has_control_characters(case):
            self.notify(
                f"{case.id} holds control characters (shown escaped); edit it in {self.studio.ws.case_paths[case.id]}",
                severity="warning",
            )
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
        if relpath is not None:
            self.post_message(CaseFileWritten(relpath, message or f"Saved {relpath}"))

    @on(CaseTable.FlipsToggled)
    def _flips_toggled(self, event: CaseTable.FlipsToggled) -> None:
        event.stop()
        self.toggle_flips()

    def toggle_flips(self) -> None:
        """Flips only on/off (f, or the palette): the footer says which."""
        self.flips_only = not self.flips_only
        relabel(self.query_one(CaseTable), "f", f"Flips only: {on_off(self.flips_only)}")
        self.post_message(FlipsOnlyChanged())
