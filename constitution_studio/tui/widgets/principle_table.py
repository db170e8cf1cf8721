"""The principles in priority order, with type-to-filter and reorder keys.

Filtering is the hot path (a keystroke with 1,000 principles): each principle's search text
and row cells are computed once and cached; a keystroke only matches strings and re-adds
the matching rows (narrowing a query filters the previous matches, not everything).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Input

from constitution_studio.tui.state import Studio

COLUMNS = (
    ("rank", "Rank"),
    ("id", "ID"),
    ("title", "Title"),
    ("status", "Status"),
    ("cases", "Cases"),
    ("labels", "Labels"),
)
TITLE_WIDTH = 22


def search_text(studio: Studio, pid: str) -> str:
    p = studio.ws.principles[pid]
    return f"{pid}\t{p.title}\t{' '.join(p.tags)}".lower()


class PrincipleTable(DataTable[str | Text]):
    """Rows keyed by principle ID (the ID when loaded)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+up", "move(-1)", "Move up", id="principles.move_up"),
        Binding("shift+down", "move(1)", "Move down", id="principles.move_down"),
        Binding("enter", "edit", "Edit", id="principles.edit"),
    ]

    class MoveRequested(Message):
        def __init__(self, principle_id: str, delta: int) -> None:
            super().__init__()
            self.principle_id = principle_id
            self.delta = delta

    class EditRequested(Message):
        pass

    def __init__(self, studio: Studio, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.studio = studio
        self._search: dict[str, str] = {}
        self._cells: dict[str, tuple[str | Text, ...]] = {}
        self._query = ""
        self._matches: list[str] = []

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)
        self.rebuild()

    # --- rows ------------------------------------------------------------------------

    def cells(self, pid: str) -> tuple[str | Text, ...]:
        cached = self._cells.get(pid)
        if cached is None:
            studio = self.studio
            p = studio.ws.principles[pid]
            rank = studio.rank(pid)
            dirty = studio.is_dirty(pid)
            shown_id = studio.edited(pid)["id"] if dirty else pid
            title = studio.edited(pid)["title"] if dirty else p.title
            if len(title) > TITLE_WIDTH:
                title = title[: TITLE_WIDTH - 1] + "…"
            ident = Text.assemble(("● " if dirty else "  ", "bold yellow"), shown_id)
            cached = (
                str(rank) if rank else "–",
                ident,
                title,
                studio.edited(pid)["status"] if dirty else p.status.value,
                str(len(studio.ws.links.get(pid, []))),
                studio.summary(pid),
            )
            self._cells[pid] = cached
        return cached

    def invalidate(self, *pids: str) -> None:
        """Forget cached cells (all when no ID is given) and update visible rows in place."""
        if not pids:
            self._cells.clear()
            self._search.clear()
            return
        for pid in pids:
            self._cells.pop(pid, None)
            if pid in self.rows:
                for (key, _), value in zip(COLUMNS, self.cells(pid), strict=True):
                    self.update_cell(pid, key, value)

    def matching(self, query: str) -> list[str]:
        """IDs whose ID, title or tags contain every word of `query` (case-insensitive)."""
        words = query.lower().split()
        narrowing = bool(self._query) and query.lower().startswith(self._query.lower())
        pool = self._matches if narrowing else self.studio.principle_ids()
        if not words:
            return list(pool)
        search = self._search
        out = []
        for pid in pool:
            text = search.get(pid)
            if text is None:
                text = search[pid] = search_text(self.studio, pid)
            if all(w in text for w in words):
                out.append(pid)
        return out

    def apply_filter(self, query: str) -> None:
        self._matches = self.matching(query)
        self._query = query
        self._show(self._matches)

    def rebuild(self, keep: str | None = None) -> None:
        """Re-add the rows (order changed or workspace reloaded), keeping the cursor on `keep`."""
        current = keep or self.current_id()
        self._query, self._matches = "", []
        self.apply_filter(self._query_text())
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False)

    def _query_text(self) -> str:
        try:
            return self.screen.query_one("#filter", Input).value
        except Exception:
            return ""

    def _show(self, pids: list[str]) -> None:
        current = self.current_id()
        self.clear()
        for pid in pids:
            self.add_row(*self.cells(pid), key=pid)
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False)

    def current_id(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    def select_id(self, pid: str) -> bool:
        if pid not in self.rows:
            return False
        self.move_cursor(row=self.get_row_index(pid), animate=False)
        return True

    # --- keys ------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        pid = self.current_id()
        if pid is not None:
            self.post_message(self.MoveRequested(pid, delta))

    def action_edit(self) -> None:
        self.post_message(self.EditRequested())

    def on_key(self, event: events.Key) -> None:
        """Type-to-filter: a printable key on the table goes to the filter box."""
        if event.character and event.is_printable and event.character not in "?/ ":
            event.stop()
            event.prevent_default()
            box = self.screen.query_one("#filter", Input)
            box.focus()
            box.insert_text_at_cursor(event.character)
