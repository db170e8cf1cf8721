"""Scrolling widgets whose content changes without laying out the whole screen.

Textual's `virtual_size` reactive asks for a layout of the whole screen whenever it changes:
an input's text got longer, the statement wraps to another number of lines, a list got
shorter. The layout then re-renders every widget overlapping the changed one, containers
included; on a selection change that was most of the time the screen took (see
docs/performance.md). The widgets below have fixed sizes set in app.tcss, so their content
never moves anything else: only their own scrollbars depend on it, and those are updated here
directly. A scrollbar that appears or disappears still lays the screen out (its own reactive
asks for that), which is rare and correct.

Pinned to the behaviour of Textual 8 (`Widget._scroll_update` is what a layout would call).
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.widgets import Input, TextArea


def quiet_virtual_size() -> Reactive[Size]:
    """A `virtual_size` that repaints the widget but does not lay out the screen."""
    return Reactive(Size(0, 0), layout=False)


def update_scrollbars(widget: ScrollView, size: Size) -> None:
    """What a layout would do for the widget's new virtual size: scrollbar sizes and scroll limits."""
    if widget.size.area:  # before the first layout the compositor does it
        widget._scroll_update(size)


class FieldInput(Input):
    """A one-line field of fixed width (set in app.tcss)."""

    virtual_size = quiet_virtual_size()

    def watch_virtual_size(self, size: Size) -> None:
        update_scrollbars(self, size)


class StatementArea(TextArea):
    """The statement editor, of fixed size (set in app.tcss), with the editing keys in the footer.

    ctrl+a selects all and home/end go to the start/end of the line as written (not of the
    wrapped screen line); ctrl+home/ctrl+end go to the start/end of the whole statement (with
    shift: selecting): what authors expect from a text box, and what the help lists.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+z", "undo", "Undo", id="statement.undo"),
        Binding("ctrl+y", "redo", "Redo", id="statement.redo"),
        Binding("ctrl+a", "select_all", "Select all", id="statement.select_all"),
        Binding("home", "line_start", "Start of line", show=False, id="statement.home"),
        Binding("end", "line_end", "End of line", show=False, id="statement.end"),
        Binding("ctrl+home", "text_start", "Start of text", show=False, id="statement.text_start"),
        Binding("ctrl+end", "text_end", "End of text", show=False, id="statement.text_end"),
        Binding("ctrl+shift+home", "text_start(True)", "Select to start", show=False, id="statement.select_start"),
        Binding("ctrl+shift+end", "text_end(True)", "Select to end", show=False, id="statement.select_end"),
    ]

    virtual_size = quiet_virtual_size()

    def action_line_start(self) -> None:
        self.move_cursor((self.cursor_location[0], 0))

    def action_line_end(self) -> None:
        row = self.cursor_location[0]
        self.move_cursor((row, len(self.document.get_line(row))))

    def action_text_start(self, select: bool = False) -> None:
        self.move_cursor((0, 0), select=select)

    def action_text_end(self, select: bool = False) -> None:
        last = self.document.line_count - 1
        self.move_cursor((last, len(self.document.get_line(last))), select=select)

    def watch_virtual_size(self, size: Size) -> None:
        update_scrollbars(self, size)
