"""Linked cases of the selected principle, labelled under the saved and the edited wording.

A flip is a case whose label under the edited wording differs from its label under the saved
wording; flips are highlighted, counted, and can be shown alone (`f`).

The table is a Line API widget, like the principle list: moving to another principle refills
it on every selection change, and a DataTable measured and rendered every cell of every row
each time (most of a selection change's cost at 50,000 cases). Here a row's text is built
when its line is first drawn, and only the lines on screen are drawn.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widgets import ProgressBar, Static

from constitution_studio.core.conversation import last_user_text
from constitution_studio.core.models import EvalCase
from constitution_studio.core.sanitize import sanitize
from constitution_studio.tui.state import Label
from constitution_studio.tui.widgets.line_list import LineList, list_components, list_css, navigation_bindings
from constitution_studio.tui.words import label_word

PROMPT_WIDTH = 40
LABEL_STYLE = {"violates": "red", "complies": "green", "a": "cyan", "b": "magenta"}
# key, header, width (the case column is sized to the longest ID shown)
COLUMNS = (
    ("case", "Case", 8),
    ("gold", "Gold", 8),
    ("saved", "Saved wording", 20),
    ("edited", "Edited wording", 20),
    ("flip", "Flip", 17),
    ("prompt", "Prompt", PROMPT_WIDTH),
)
MAX_ID_WIDTH = 24


def excerpt(text: str, width: int = PROMPT_WIDTH) -> str:
    flat = sanitize(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def gold_words(gold: object) -> str:
    """A case's gold as shown: one label, or each principle's label when given per principle."""
    if isinstance(gold, dict):
        return ", ".join(f"{sanitize(pid)} {label_word(str(label))}" for pid, label in gold.items())
    return label_word(str(gold)) if gold else ""


def label_text(label: Label | None, pending: bool = False) -> Text:
    if label is None:
        return Text("·" if pending else "", style="dim")
    cached = "" if not label.cached else " cached"
    word = label_word(label.label)
    return Text.assemble((word, LABEL_STYLE.get(label.label, "")), f" {label.probability:.2f}{cached}")


class CaseRow:
    """One case under both wordings; its cells are built when the row is first drawn."""

    __slots__ = ("_cells", "after", "before", "case", "flipped", "pending_after")

    def __init__(self, case: EvalCase, before: Label | None, after: Label | None, pending_after: bool) -> None:
        self.case = case
        self.before = before
        self.after = after
        self.pending_after = pending_after
        self.flipped = before is not None and after is not None and before.label != after.label
        self._cells: tuple[Text, ...] | None = None

    def cells(self) -> tuple[Text, ...]:
        """Case, gold, saved, edited, flip, prompt."""
        if self._cells is None:
            case, before, after = self.case, self.before, self.after
            flip = (
                Text(f"{before.label}→{after.label}", style="bold reverse yellow")
                if self.flipped and before and after
                else Text("")
            )
            self._cells = (
                Text(sanitize(case.id)),
                Text(gold_words(case.gold), style=LABEL_STYLE.get(gold_words(case.gold), "")),
                label_text(before, pending=True),
                label_text(after, pending=self.pending_after),
                flip,
                Text(excerpt(last_user_text(case.turns))),
            )
        return self._cells


class CaseTable(LineList):
    """One line per linked case under a header line; `ids` are the shown case IDs in order."""

    DEFAULT_CSS = list_css("CaseTable", "cases")
    COMPONENT_CLASSES: ClassVar[set[str]] = list_components("cases")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="cases.open"),
        Binding("f", "toggle_flips", "Flips only: off", id="cases.flips_only"),
        Binding("n", "new_case", "New case", id="cases.new", tooltip="Write a new case linked to this principle"),
        Binding("e", "edit_case", "Edit case", id="cases.edit", show=False, tooltip="Edit the highlighted case"),
        Binding(
            "delete",
            "delete_case",
            "Delete case",
            id="cases.delete",
            show=False,
            tooltip="Delete the highlighted case from its file (asks first)",
        ),
        *navigation_bindings("cases"),
    ]

    class OpenRequested(Message):
        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    class FlipsToggled(Message):
        pass

    class CaseEditRequested(Message):
        """New case (`case_id` None), edit, or delete (`delete`) of the highlighted case."""

        def __init__(self, case_id: str | None, delete: bool = False) -> None:
            super().__init__()
            self.case_id = case_id
            self.delete = delete

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: dict[str, CaseRow] = {}  # shown rows by case ID, in order
        self._widths: list[int] = [w for _, _, w in COLUMNS]

    # --- rows ------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.ids)

    def set_rows(self, rows: list[CaseRow]) -> None:
        """Show these rows; the cursor stays on the same case when it is still shown."""
        current = self.current_id()
        self.rows = {row.case.id: row for row in rows}
        self.ids = list(self.rows)
        id_width = max((len(cid) for cid in self.ids), default=0)
        self._widths[0] = max(COLUMNS[0][2], min(id_width, MAX_ID_WIDTH))
        size = Size(sum(w + 2 for w in self._widths), len(self.ids) + 1)
        if size != self.virtual_size:
            self.virtual_size = size
        index = self.ids.index(current) if current in self.rows else 0
        self.cursor = min(index, max(len(self.ids) - 1, 0))
        if index == 0:
            self.scroll_to(y=0, animate=False)
        self.refresh()

    def get_row(self, case_id: str) -> tuple[Text, ...]:
        return self.rows[case_id].cells()

    # --- rendering -------------------------------------------------------------------

    def _line(self, cells: tuple[Text, ...], style: Style) -> list[Segment]:
        line = Text(end="", no_wrap=True, style=style)
        for cell, width in zip(cells, self._widths, strict=True):
            part = cell.copy()
            part.truncate(width, overflow="ellipsis", pad=True)
            line.append(" ")
            line.append_text(part)
            line.append(" ")
        return list(line.render(self.app.console))

    def line_styles(self) -> dict[str, Style]:
        return self.component_styles("cases")

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        styles = self.line_styles()
        if y == 0:
            header = tuple(Text(label) for _, label, _ in COLUMNS)
            return Strip(self._line(header, styles["header"])).crop_extend(scroll_x, scroll_x + width, styles["base"])
        index = int(self.scroll_y) + y - 1
        if index >= len(self.ids):
            return self.blank_line(index, width, styles["base"])
        style = self.row_style(index, styles)
        segments = self._line(self.rows[self.ids[index]].cells(), style)
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, style)

    # --- keys and mouse --------------------------------------------------------------

    def action_open(self) -> None:
        case_id = self.current_id()
        if case_id is not None:
            self.post_message(self.OpenRequested(case_id))

    def action_toggle_flips(self) -> None:
        self.post_message(self.FlipsToggled())

    def action_new_case(self) -> None:
        self.post_message(self.CaseEditRequested(None))

    def action_edit_case(self) -> None:
        if self.current_id() is not None:
            self.post_message(self.CaseEditRequested(self.current_id()))

    def action_delete_case(self) -> None:
        if self.current_id() is not None:
            self.post_message(self.CaseEditRequested(self.current_id(), delete=True))


class CasesPanel(Vertical):
    """Status line, critic progress bar, and the table of linked cases."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.flips_only = False
        self.flips: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="cases-status")
        yield ProgressBar(id="critic-progress", show_eta=False)
        yield CaseTable(id="cases")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False

    def show(
        self,
        cases: list[EvalCase],
        saved: dict[str, Label],
        edited: dict[str, Label],
        wording_changed: bool,
        note: str = "",
    ) -> None:
        """Fill the table; `edited` labels are only meaningful when the wording changed."""
        rows = []
        for case in cases:
            before = saved.get(case.id)
            after = edited.get(case.id) if wording_changed else before
            rows.append(CaseRow(case, before, after, wording_changed))
        self.flips = [row.case.id for row in rows if row.flipped]
        shown = [row for row in rows if row.flipped] if self.flips_only else rows
        table = self.query_one(CaseTable)
        table.empty = "no flips — f shows all" if self.flips_only and cases else ""
        table.set_rows(shown)
        status = f"{len(cases)} linked case{'s' if len(cases) != 1 else ''}"
        if saved or edited:
            status += f" · {len(self.flips)} flip{'s' if len(self.flips) != 1 else ''}"
        if self.flips_only:
            status += f" · showing flips only ({len(shown)}) — f shows all"
        if note:
            status += f" · {note}"
        self.query_one("#cases-status", Static).update(status, layout=False)  # height 1

    def progress(self, done: int, total: int) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=total, progress=done)

    def idle(self) -> None:
        self.query_one(ProgressBar).display = False
