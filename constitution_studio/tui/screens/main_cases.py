"""The linked cases' actions on the main screen: open, write (n / e) and delete a case, flips only.

`CasePanes` sits between `DiskPanes` and `MainScreen`: a written case reloads the
constitution in the background (`revalidate`), so the list, the cases and the findings show it.
"""

from __future__ import annotations

from textual import on

from constitution_studio.core.case_authoring import delete_case
from constitution_studio.core.models import EvalCase
from constitution_studio.core.sanitize import sanitize
from constitution_studio.errors import StudioError
from constitution_studio.tui.screens.case_detail import CaseScreen
from constitution_studio.tui.screens.case_form import CaseForm
from constitution_studio.tui.screens.main_reload import DiskPanes
from constitution_studio.tui.screens.modals import Choice, ErrorModal
from constitution_studio.tui.toggles import on_off, relabel
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable


def has_control_characters(case: EvalCase) -> bool:
    """Whether a case's text holds control or bidi characters (the form would show them raw or rewrite them)."""
    texts = [case.id, *case.principles, *(t.content for t in case.turns), case.response, case.a, case.b, case.note]
    texts += list(case.tags)
    return any(t and sanitize(t, keep_newlines=True) != t for t in texts)


class CasePanes(DiskPanes):
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
        """A case file was written: reload so the list, the cases and the findings show it."""
        if relpath is None:
            return
        self.notify(message or f"Saved {relpath}")
        self.revalidate()

    @on(CaseTable.FlipsToggled)
    def action_toggle_flips(self) -> None:
        panel = self.query_one(CasesPanel)
        panel.flips_only = not panel.flips_only
        relabel(self.query_one(CaseTable), "f", f"Flips only: {on_off(panel.flips_only)}")
        self.refresh_cases()
