"""The studio app (placeholder until the TUI issue lands: principles in priority order)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from constitution_studio.core.workspace import load_root


class StudioApp(App[int]):
    TITLE = "Constitution Studio"
    BINDINGS: ClassVar = [("ctrl+q", "quit", "Quit")]

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.workspace = load_root(root)

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="principles", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Rank", "ID", "Title", "Status", "Cases")
        for pid in self.workspace.ordered_principle_ids():
            p = self.workspace.principles[pid]
            rank = self.workspace.rank(pid)
            table.add_row(str(rank or "-"), pid, p.title, p.status.value, str(len(self.workspace.links.get(pid, []))))
        self.sub_title = f"{self.workspace.constitution.name if self.workspace.constitution else '?'} — {self.root}"
