"""The principles in priority order, with type-to-filter and reorder keys.

Filtering is the hot path (a keystroke with 1,000 principles). A DataTable measures every
cell of every row it is given (about 1/3 s per keystroke at 1,000 rows, see
docs/performance.md), so this is a Line API widget: it keeps a list of visible IDs and
renders only the lines on screen. Each principle's search text and row text are computed
once and cached; narrowing a query filters the previous matches, not everything.

The constitution's own group comments in `priority:` ("# Tier 1: serious harm. ...") are
drawn as header lines above their groups; the cursor skips them (it indexes `ids` only).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.signal import Signal
from textual.strip import Strip
from textual.widgets import Input

from constitution_studio.core.sanitize import sanitize
from constitution_studio.tui.state import Studio
from constitution_studio.tui.widgets.line_list import LineList, list_components, list_css, navigation_bindings
from constitution_studio.tui.words import fit_words

UNRANKED = "Not in the priority order"

COLUMNS = (
    ("rank", "Rank", 4),
    ("id", "ID", 11),
    ("title", "Title", 16),
    ("status", "Status", 8),
    ("cases", "Cases", 5),
    ("labels", "Critic says", 12),  # at least; it takes what is left of a wider list
)
LABELS_MAX = 40  # the longest label summary in words ("33 comply · 2 prefer A · 1 prefers B")


def column_widths(width: int, labels_needed: int = LABELS_MAX) -> list[int]:
    """Widths for a list `width` wide: the room left over goes to the labels up to the longest
    summary shown (`labels_needed`, whole words), then to the title; past LABELS_MAX, 2/3 to the
    labels' longer forms and 1/3 to the title."""
    widths = [w for _, _, w in COLUMNS]
    extra = width - sum(w + 1 for w in widths)
    if extra > 0:
        to_labels = min(max(labels_needed - widths[-1], 0), extra - extra // 3, LABELS_MAX - widths[-1])
        widths[-1] += to_labels
        widths[2] += extra - to_labels
    return widths


def search_text(studio: Studio, pid: str) -> str:
    """What the filter searches: ID, title, tags, the statement (saved and edited) and the linked cases' text."""
    p = studio.ws.principles[pid]
    parts = [pid, p.title, " ".join(p.tags), p.statement]
    if studio.is_dirty(pid):
        edited = studio.edited(pid)
        parts += [edited["id"], edited["title"], edited["statement"]]
    for case in studio.ws.cases_for(pid):
        parts.append(case.id)
        parts += [t.content for t in case.turns]
        parts += [x for x in (case.response, case.a, case.b) if x]
    return "\t".join(parts).lower()


def _saved_rank(studio: Studio, pid: str) -> int | None:
    return studio.saved_order.index(pid) + 1 if pid in studio.saved_order else None


def _fit(text: str, width: int, right: bool = False) -> str:
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)


class PrincipleTable(LineList):
    """One line per principle (header on top); `ids` are the visible principle IDs in order."""

    DEFAULT_CSS = list_css(
        "PrincipleTable",
        "principles",
        """
    PrincipleTable > .principles--dirty { color: $warning; }
    PrincipleTable > .principles--group { color: $secondary; text-style: bold; }
    """,
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = list_components("principles", "dirty", "group")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+up", "move(-1)", "Move", id="principles.move_up", key_display="⇧↑↓"),
        Binding("shift+down", "move(1)", "Move down", id="principles.move_down", show=False),
        Binding("enter", "edit", "Edit", id="principles.edit", show=False),
        *navigation_bindings("principles"),
    ]

    class Highlighted(Message):
        """The cursor is on another principle."""

        def __init__(self, principle_id: str) -> None:
            super().__init__()
            self.principle_id = principle_id

    class MoveRequested(Message):
        def __init__(self, principle_id: str, delta: int) -> None:
            super().__init__()
            self.principle_id = principle_id
            self.delta = delta

    class EditRequested(Message):
        pass

    def __init__(self, studio: Studio, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.studio = studio
        self.ids: list[str] = []
        self._search: dict[str, str] = {}
        self._cells: dict[str, tuple[str, ...]] = {}
        self._forms: dict[str, list[str]] = {}  # label summary, longest form first
        self._labels_needed = 0  # the longest summary drawn so far: the rest of the width is the title's
        self._query = ""
        self._last_highlight: str | None = None
        # With group headers: what each line below the column header shows (a row index or a
        # header's text), and the line of each row. Empty when the constitution has no groups.
        self._lines: list[int | str] = []
        self._line_of: list[int] = []
        # Published at once when the cursor lands on another principle: a subscriber with
        # immediate=True updates its panes before the next frame, so the list and the editor
        # change in one paint (the Highlighted message arrives a frame, ~17 ms, later).
        self.highlighted_signal: Signal[str] = Signal(self, "highlighted")

    def on_mount(self) -> None:
        self.rebuild()

    # --- rows ------------------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        """The filter the visible rows match."""
        return self._query

    @property
    def row_count(self) -> int:
        return len(self.ids)

    def cells(self, pid: str) -> tuple[str, ...]:
        """Rank, ID (● when edited), title, status, linked cases, label summary (its longest form)."""
        cached = self._cells.get(pid)
        if cached is None:
            studio = self.studio
            p = studio.ws.principles[pid]
            rank = studio.rank(pid)
            dirty = studio.is_dirty(pid)
            edited = studio.edited(pid) if dirty else None
            moved = studio.order_dirty and rank is not None and _saved_rank(studio, pid) != rank
            cached = (
                ("●" if moved else "") + (str(rank) if rank else "–"),
                ("● " if dirty else "  ") + sanitize(edited["id"] if edited else pid),
                sanitize(edited["title"] if edited else p.title),
                edited["status"] if edited else p.status.value,
                str(len(studio.ws.links.get(pid, []))),
                studio.summary(pid),
            )
            self._cells[pid] = cached
            forms = self._forms[pid] = studio.summary_forms(pid)
            if forms and len(forms[0]) > self._labels_needed:
                self._labels_needed = len(forms[0])  # a longer summary: the columns are laid out again
                self.call_after_refresh(self.refresh)  # the lines drawn before it, header included
        return cached

    def get_row(self, pid: str) -> tuple[str, ...]:
        return self.cells(pid)

    def invalidate(self, *pids: str) -> None:
        """Forget cached row text (all rows when no ID is given) and repaint."""
        if not pids:
            self._cells.clear()
            self._forms.clear()
            self._search.clear()
            self._labels_needed = 0
        for pid in pids:
            self._cells.pop(pid, None)
            self._forms.pop(pid, None)
            self._search.pop(pid, None)
        self.refresh()

    def matching(self, query: str) -> list[str]:
        """IDs whose search text (see `search_text`) contains every word of `query` (case-insensitive)."""
        words = query.lower().split()
        narrowing = bool(self._query.strip()) and query.lower().startswith(self._query.lower())
        pool = self.ids if narrowing else self.studio.principle_ids()
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

    def apply_filter(self, query: str, keep: str | None = None) -> None:
        """Show the matches of `query`; the cursor stays on `keep` (or the current row) when it matches."""
        current = self.current_id() if keep is None or keep not in self.studio.ws.principles else keep
        self.ids = self.matching(query)
        self._query = query
        self._after_change(current)

    def rebuild(self, keep: str | None = None) -> None:
        """Recompute the visible rows (order changed, workspace reloaded), keeping the cursor on `keep`."""
        self.mark_order()
        current = keep or self.current_id()
        self._query = ""
        query = self._query_text()
        self.ids = self.matching(query)
        self._query = query
        self._after_change(current)

    def mark_order(self) -> None:
        """An unsaved priority order shows like an unsaved field: a ● in the title and on moved ranks."""
        title = "Principles, highest priority first"
        if self.studio.order_dirty:
            title += " · ● order unsaved (ctrl+s saves)"
        if self.border_title != title:
            self.border_title = title

    def _after_change(self, current: str | None) -> None:
        self._place_headers()
        lines = len(self._lines) if self._lines else len(self.ids)
        self.virtual_size = Size(sum(w + 1 for _, _, w in COLUMNS), lines + 1)
        index = self.ids.index(current) if current in self.ids else 0
        self.cursor = min(index, max(len(self.ids) - 1, 0))
        self.refresh()

    def _place_headers(self) -> None:
        """Put each group's header above the first of its principles the filter shows (O(principles)).

        A header follows the principle it follows in the saved file (see `Studio.group_headers`).
        """
        self._lines, self._line_of = [], []
        if not self.studio.headers_ready():  # a large file: read the comments off the UI thread
            self._read_headers()
            return
        top, after = self.studio.group_headers()
        if not top and not after:
            return
        group: dict[str, int] = {}
        titles: list[str] = [top]
        ranked = set(self.studio.order)
        for pid in self.studio.principle_ids():
            if pid not in ranked and titles[-1] != UNRANKED:
                titles.append(UNRANKED)
            group[pid] = len(titles) - 1
            if pid in after and pid in ranked:
                titles.append(after[pid])
        lines: list[int | str] = []
        line_of: list[int] = []
        last = -1
        for index, pid in enumerate(self.ids):
            g = group.get(pid, last)
            if g != last and titles[g]:
                lines.append(titles[g])
            last = g
            line_of.append(len(lines))
            lines.append(index)
        self._lines, self._line_of = lines, line_of

    @work(thread=True, exclusive=True, group="principle-headers")
    def _read_headers(self) -> None:
        self.studio.group_headers()
        self.app.call_from_thread(self._headers_read)

    def _headers_read(self) -> None:
        self._after_change(self.current_id())  # reads again if the file changed meanwhile

    def line_of(self, index: int) -> int:
        if not self._lines:
            return index
        return self._line_of[index] if 0 <= index < len(self._line_of) else -1

    def row_at(self, line: int) -> int | None:
        if not self._lines:
            return super().row_at(line)
        entry = self._lines[line] if 0 <= line < len(self._lines) else None
        return entry if isinstance(entry, int) else None

    def _query_text(self) -> str:
        try:
            return self.screen.query_one("#filter", Input).value
        except Exception:
            return ""

    def cursor_moved(self) -> None:
        pid = self.current_id()
        if pid is not None and pid != self._last_highlight:
            self._last_highlight = pid
            self.highlighted_signal.publish(pid)
            self.post_message(self.Highlighted(pid))

    def line_styles(self) -> dict[str, Style]:
        return self.component_styles("principles", "dirty", "group")

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        styles = self.line_styles()
        line = int(self.scroll_y) + y - 1
        entry = (self._lines[line] if line < len(self._lines) else None) if self._lines else line
        if isinstance(entry, int) and 0 <= entry < len(self.ids):
            self.cells(self.ids[entry])  # first: it may widen the labels column this line is drawn with
        widths = column_widths(width, self._labels_needed)
        labels_width = widths[-1]
        if y == 0:
            header = " ".join(_fit(label, w) for (_, label, _), w in zip(COLUMNS, widths, strict=True))
            return Strip([Segment(header, styles["header"])]).crop_extend(
                int(self.scroll_x), int(self.scroll_x) + width, styles["base"]
            )
        if isinstance(entry, str):
            title = Segment(" " + sanitize(entry), styles["base"] + styles["group"])  # a comment in the file
            return Strip([title]).crop_extend(int(self.scroll_x), int(self.scroll_x) + width, styles["base"])
        if entry is None or entry >= len(self.ids):
            return Strip.blank(width, styles["base"])
        index = entry
        pid = self.ids[index]
        cells = self.cells(pid)
        values = [*cells[:-1], fit_words(self._forms.get(pid, []), labels_width)]
        text = " ".join(
            _fit(value, w, right=(key in ("rank", "cases")))
            for (key, _, _), w, value in zip(COLUMNS, widths, values, strict=True)
        )
        style = self.row_style(index, styles)
        segments = [Segment(text, style)]
        if cells[1].startswith("●"):
            offset = COLUMNS[0][2] + 1
            segments = [
                Segment(text[:offset], style),
                Segment("●", style + styles["dirty"]),
                Segment(text[offset + 1 :], style),
            ]
        return Strip(segments).crop_extend(int(self.scroll_x), int(self.scroll_x) + width, style)

    # --- keys and mouse --------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        pid = self.current_id()
        if pid is not None:
            self.post_message(self.MoveRequested(pid, delta))

    def action_edit(self) -> None:
        self.post_message(self.EditRequested())

    def on_key(self, event: events.Key) -> None:
        """Type-to-filter: a printable key on the list goes to the filter box."""
        if event.character and event.is_printable and event.character not in "?/ ":
            event.stop()
            event.prevent_default()
            box = self.screen.query_one("#filter", Input)
            box.focus()
            box.insert_text_at_cursor(event.character)
