"""Validation findings (from the last load or save) plus problems of unsaved edits; enter jumps."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from constitution_studio.core.findings import Finding, Severity
from constitution_studio.core.sanitize import sanitize
from constitution_studio.tui.messages import JumpRequested
from constitution_studio.tui.words import plural

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "unsaved": "bold magenta"}

FIELD_WORDS = {"id": "ID", "title": "title", "statement": "statement", "status": "status", "owner": "owner"}


class FindingsPanel(DataTable[str | Text]):
    """One row per finding: severity, where, what; row keys index `self.targets`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "jump", "Jump to", id="findings.jump"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self.targets: list[tuple[str | None, str | None]] = []

    def on_mount(self) -> None:
        self.add_column("Severity", key="severity")
        self.add_column("Where", key="where")
        self.add_column("Problem", key="problem")

    def show(self, findings: list[Finding], unsaved: list[tuple[str, str, str]]) -> None:
        """`unsaved` holds (principle ID, field, message) for edits that cannot be saved yet."""
        self.clear()
        self.targets = []
        for pid, name, message in unsaved:
            self._row("unsaved", f"{pid}, {FIELD_WORDS.get(name, name)}", message, (pid, None))
        for f in findings:
            where = f"{f.path}, line {f.line}" if f.line else str(f.path)
            self._row(f.severity.value, where, f"{f.message} ({f.code})", (f.principle_id, f.case_id))
        self.border_title = self.title_text(findings, unsaved)

    @staticmethod
    def title_text(findings: list[Finding], unsaved: list[tuple[str, str, str]]) -> str:
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        warnings = len(findings) - errors
        text = f"Findings: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
        if unsaved:
            text += f", {len(unsaved)} in unsaved edits"
        return text

    def _row(self, severity: str, where: str, message: str, target: tuple[str | None, str | None]) -> None:
        key = str(len(self.targets))
        self.targets.append(target)
        cells = (Text(sanitize(where)), Text(sanitize(message)))  # paths and messages quote the files
        self.add_row(Text(severity, style=SEVERITY_STYLE.get(severity, "")), *cells, key=key)

    def action_jump(self) -> None:
        if not self.row_count:
            return
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        if key is None:
            return
        pid, cid = self.targets[int(key)]
        self.post_message(JumpRequested(pid, cid))
