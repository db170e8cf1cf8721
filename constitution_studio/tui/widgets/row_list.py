"""A list of rows under a header that draws only the lines on screen (impact, review, trust).

Rows are built lazily from `cells(row_id)` when a line is painted, so re-sorting 50,000 cases
costs the sort and nothing per row; moving the cursor repaints two lines (see LineList).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from constitution_studio.tui.widgets.line_list import LineList, list_components, list_css, navigation_bindings

Cells = Callable[[str], Sequence[Text]]


class RowList(LineList):
    """Columns of (label, width); `set_rows(ids, cells)` shows them; posts Highlighted on cursor moves."""

    DEFAULT_CSS = list_css("RowList", "rows")
    COMPONENT_CLASSES: ClassVar[set[str]] = list_components("rows")
    BINDINGS: ClassVar[list[BindingType]] = [
        *navigation_bindings(),
    ]

    class Highlighted(Message):
        def __init__(self, rows: RowList, row_id: str | None) -> None:
            super().__init__()
            self.rows = rows
            self.row_id = row_id

        @property
        def control(self) -> RowList:
            return self.rows

    def __init__(self, columns: Sequence[tuple[str, int]], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.columns = list(columns)
        self._cells: Cells = lambda _: ()

    def set_columns(self, columns: Sequence[tuple[str, int]]) -> None:
        """New column widths (a width 0 column is not drawn); repaints when they changed."""
        if list(columns) == self.columns:
            return
        self.columns = list(columns)
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        size = Size(sum(w + 2 for _, w in self.columns if w), len(self.ids) + 1)
        if size != self.virtual_size:
            self.virtual_size = size

    def set_rows(self, ids: Sequence[str], cells: Cells) -> None:
        """Show `ids` in this order; the cursor stays on the same row when it is still shown."""
        current = self.current_id()
        self.ids = list(ids)
        self._cells = cells
        self._resize()
        index = self.ids.index(current) if current is not None and current in self.ids else 0
        self.cursor = min(index, max(len(self.ids) - 1, 0))
        if index == 0:
            self.scroll_to(y=0, animate=False)
        self.refresh()

    def cells(self, row_id: str) -> Sequence[Text]:
        return self._cells(row_id)

    def cursor_moved(self) -> None:
        self.post_message(self.Highlighted(self, self.current_id()))

    def _line(self, cells: Sequence[Text], style: Style) -> list[Segment]:
        line = Text(end="", no_wrap=True, style=style)
        for cell, (_, width) in zip(cells, self.columns, strict=False):
            if not width:
                continue
            part = cell.copy()
            part.truncate(width, overflow="ellipsis", pad=True)
            line.append(" ")
            line.append_text(part)
            line.append(" ")
        return list(line.render(self.app.console))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        styles = self.component_styles("rows")
        if y == 0:
            header = [Text(label) for label, _ in self.columns]
            return Strip(self._line(header, styles["header"])).crop_extend(scroll_x, scroll_x + width, styles["base"])
        index = int(self.scroll_y) + y - 1
        if index >= len(self.ids):
            return self.blank_line(index, width, styles["base"])
        style = self.row_style(index, styles)
        return Strip(self._line(self.cells(self.ids[index]), style)).crop_extend(scroll_x, scroll_x + width, style)
