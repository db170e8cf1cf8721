"""A keyboard list that draws only the lines on screen: the base of the principle and case lists.

A DataTable measures and renders every cell of every row when its rows change, which at
1,000 principles or thousands of cases is most of a keystroke's cost. A Line API widget
draws a row's text only when its line is painted, and moving the cursor repaints two lines.
Subclasses keep `ids` (row keys, in order), set `virtual_size`, and implement `render_line`.
A subclass that draws extra lines between rows (group headers) overrides `line_of` and
`row_at`; the cursor only ever lands on rows.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from constitution_studio.tui.widgets.quiet import quiet_virtual_size, update_scrollbars


def list_css(widget: str, prefix: str, extra: str = "") -> str:
    """The background, header, cursor and zebra rules every list shares, for `prefix--*` components."""
    return f"""
    {widget} {{ background: $surface; }}
    {widget} > .{prefix}--header {{ text-style: bold; color: $primary; }}
    {widget} > .{prefix}--cursor {{ background: $accent 40%; }}
    {widget}:focus > .{prefix}--cursor {{ background: $accent; color: $text; text-style: bold; }}
    {widget} > .{prefix}--odd {{ background: $surface-lighten-1; }}
    {extra}"""


def list_components(prefix: str, *extra: str) -> set[str]:
    return {f"{prefix}--{name}" for name in ("header", "cursor", "odd", *extra)}


def navigation_bindings(scope: str | None = None) -> list[BindingType]:
    """The cursor keys every list shares; `scope` gives them ids (`cases.up`) a keymap can name."""
    keys = [
        ("up", "cursor(-1)", "Previous", "up"),
        ("down", "cursor(1)", "Next", "down"),
        ("pageup", "page(-1)", "Page up", "page_up"),
        ("pagedown", "page(1)", "Page down", "page_down"),
        ("home", "jump(0)", "First", "first"),
        ("end", "jump(-1)", "Last", "last"),
    ]
    return [
        Binding(key, action, text, show=False, id=f"{scope}.{name}" if scope else None)
        for key, action, text, name in keys
    ]


class LineList(ScrollView, can_focus=True):
    """Rows keyed by ID under a one-line header, with a cursor."""

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)  # watch_cursor repaints two lines
    virtual_size = quiet_virtual_size()  # the row count changes; nothing else moves (see quiet.py)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.ids: list[str] = []
        self._styles: dict[str, Style] | None = None
        self.empty = ""  # shown under the header while there are no rows ("no flips")

    def blank_line(self, index: int, width: int, style: Style) -> Strip:
        """A line below the rows: the `empty` message on the first one when there are none."""
        if index == 0 and not self.ids and self.empty:
            text = Text(f" {self.empty}", style=style + Style(dim=True, italic=True), end="", no_wrap=True)
            return Strip(list(text.render(self.app.console))).crop_extend(0, width, style)
        return Strip.blank(width, style)

    def current_id(self) -> str | None:
        if not self.ids:
            return None
        return self.ids[min(self.cursor, len(self.ids) - 1)]

    def select_id(self, key: str) -> bool:
        if key not in self.ids:
            return False
        self.cursor = self.ids.index(key)
        return True

    def watch_virtual_size(self, size: Size) -> None:
        update_scrollbars(self, size)

    def line_of(self, index: int) -> int:
        """The line (below the column header) that row `index` is drawn on."""
        return index

    def row_at(self, line: int) -> int | None:
        """The row drawn on `line`, or None for a line that is not a row."""
        return line if 0 <= line < len(self.ids) else None

    def watch_cursor(self, old: int, cursor: int) -> None:
        """Keep the cursor in view; repaint only the two lines it left and entered when nothing scrolled."""
        height = max(self.scrollable_content_region.height - 1, 1)
        scroll_y = int(self.scroll_y)
        line = self.line_of(cursor)
        top = line - 1 if line > 0 and self.row_at(line - 1) is None else line  # show the header above it
        if top < scroll_y:
            self.scroll_to(y=top, animate=False)
        elif line >= scroll_y + height:
            self.scroll_to(y=line - height + 1, animate=False)
        if int(self.scroll_y) == scroll_y:
            self.refresh_lines(old, cursor)
        else:
            self.refresh()
        self.cursor_moved()

    def cursor_moved(self) -> None:
        """Hook for subclasses: the cursor is on a new row (or the same row again)."""

    def refresh_lines(self, *indices: int) -> None:
        """Repaint the lines of these rows (a repaint of the whole list costs ~5-10 ms)."""
        width = self.scrollable_content_region.width
        top = int(self.scroll_y)
        lines = [self.line_of(i) for i in indices]
        self.refresh(*(Region(0, 1 + i - top, width, 1) for i in lines if top <= i < top + self.size.height))

    # --- rendering -------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._styles = None  # looked up once per paint: `rich_style` walks every ancestor
        return super().render_lines(crop)

    def component_styles(self, prefix: str, *extra: str) -> dict[str, Style]:
        """Base style plus `prefix--header/cursor/odd` (and `extra` components, unmixed), once per paint."""
        if self._styles is None:
            base = self.rich_style
            self._styles = {"base": base}
            for name in ("header", "cursor", "odd"):
                self._styles[name] = base + self.get_component_rich_style(f"{prefix}--{name}")
            for name in extra:
                self._styles[name] = self.get_component_rich_style(f"{prefix}--{name}")
        return self._styles

    def row_style(self, index: int, styles: dict[str, Style]) -> Style:
        return styles["cursor"] if index == self.cursor else styles["odd"] if index % 2 else styles["base"]

    # --- keys and mouse --------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        if self.ids:
            self.cursor = max(0, min(len(self.ids) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.scrollable_content_region.height - 2, 1))

    def action_jump(self, index: int) -> None:
        if self.ids:
            self.cursor = index % len(self.ids)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)  # event.y counts the border too
        index = self.row_at(int(self.scroll_y) + offset.y - 1) if offset is not None and offset.y >= 1 else None
        if index is not None:
            self.cursor = index
