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
from constitution_studio.core.wording import Kind, label_word, p_arrow, p_text, plural, verdict_short
from constitution_studio.tui.state import Label
from constitution_studio.tui.widgets.line_list import LineList, list_components, list_css, navigation_bindings

LABEL_STYLE = {"violates": "red", "complies": "green", "a": "cyan", "b": "magenta"}
# key, header, smallest width, largest width: the table is sized to its content and the
# terminal (the prompt takes what is left); "edited" and "flip" are drawn only for an edit,
# the critic's P only once a case has a label.
COLUMNS = (
    ("case", "Case", 4, 24),
    ("gold", "Gold (whose)", 4, 26),
    ("saved", "Saved", 5, 11),
    ("edited", "Edited", 6, 11),
    ("flip", "Flip", 4, 4),
    ("p", "Critic: P saved → edited", 0, 24),
    ("prompt", "Prompt", 12, 400),
)
PROMPT_MIN = 12
MAX_ID_WIDTH = 24


def excerpt(text: str, width: int = 400) -> str:
    flat = sanitize(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def gold_words(gold: object) -> str:
    """A case's gold as shown: one label, or each principle's label when given per principle."""
    if isinstance(gold, dict):
        return ", ".join(f"{sanitize(pid)} {label_word(str(label))}" for pid, label in gold.items())
    return label_word(str(gold)) if gold else ""


def gold_cell(case: EvalCase, principle_id: str | None) -> Text:
    """Whose gold it is, in the linked cases of `principle_id`.

    `case violates`: the case as a whole (it may violate because of another principle);
    `HARM-02 complies`: this principle's own gold; another principle's gold is dim.
    """
    gold = case.gold
    if not gold:
        return Text("")
    if isinstance(gold, str):
        return Text.assemble(("case ", "dim"), (label_word(gold), LABEL_STYLE.get(gold, "")))
    own = gold.get(principle_id or "")
    if own is not None:
        return Text.assemble((f"{sanitize(principle_id or '')} ", "bold"), (label_word(own), LABEL_STYLE.get(own, "")))
    return Text(", ".join(f"{sanitize(pid)} {label_word(label)}" for pid, label in gold.items()), style="dim")


def kind_of(case: EvalCase) -> Kind:
    return "pair" if case.kind == "pair" else "single"


def label_text(label: Label | None, kind: Kind = "single", pending: bool = False) -> Text:
    """`complies, P(violates) 0.25` (core's wording: the number is never read as the label's)."""
    if label is None:
        return Text("·" if pending else "not scored", style="dim")
    word = label_word(label.label)
    rest = verdict_short(label.label, label.probability, kind)[len(word) :]
    return Text.assemble((word, LABEL_STYLE.get(label.label, "")), rest, (" (cached)" if label.cached else "", "dim"))


def label_word_text(label: Label | None, pending: bool = False) -> Text:
    if label is None:
        return Text("·" if pending else "", style="dim")
    return Text(label_word(label.label), style=LABEL_STYLE.get(label.label, ""))


def p_cell(before: Label | None, after: Label | None, kind: Kind, edited: bool) -> Text:
    """`P(violates) 0.25` or, for an edit, `P(violates) 0.25 → 0.61` (what the number is of, always)."""
    if before is None and after is None:
        return Text("")
    if not edited:
        return Text(p_text(before.probability if before else None, kind), style="dim")
    return Text(
        p_arrow(before.probability if before else None, after.probability if after else None, kind), style="dim"
    )


class CaseRow:
    """One case under both wordings; its cells are built when the row is first drawn."""

    __slots__ = ("_cells", "after", "before", "case", "edited", "flipped", "pending_after", "principle_id")

    def __init__(
        self,
        case: EvalCase,
        before: Label | None,
        after: Label | None,
        pending_after: bool,
        principle_id: str | None = None,
    ) -> None:
        self.case = case
        self.before = before
        self.after = after
        self.pending_after = pending_after
        self.edited = pending_after  # the wording changed: the edited side is its own
        self.principle_id = principle_id
        self.flipped = before is not None and after is not None and before.label != after.label
        self._cells: tuple[Text, ...] | None = None

    def cells(self) -> tuple[Text, ...]:
        """Case, gold (whose), saved label, edited label, flip, the critic's P, prompt."""
        if self._cells is None:
            case, before, after = self.case, self.before, self.after
            kind = kind_of(case)
            edited = label_word_text(after, pending=self.pending_after)
            if self.flipped:
                edited.stylize("bold reverse yellow")
            self._cells = (
                Text(sanitize(case.id)),
                gold_cell(case, self.principle_id),
                label_word_text(before, pending=True),
                edited,
                Text("flip", style="bold reverse yellow") if self.flipped else Text(""),
                p_cell(before, after, kind, self.edited),
                Text(excerpt(last_user_text(case.turns))),
            )
        return self._cells


def gold_width(case: EvalCase, principle_id: str | None) -> int:
    """The length of `gold_cell` without building it (sizing reads every row; drawing, only those shown)."""
    gold = case.gold
    if not gold:
        return 0
    if isinstance(gold, str):
        return 5 + len(label_word(gold))
    own = gold.get(principle_id or "")
    if own is not None:
        return len(principle_id or "") + 1 + len(label_word(own))
    return sum(len(pid) + 1 + len(label_word(label)) + 2 for pid, label in gold.items()) - 2


def p_width(kind: Kind, edited: bool) -> int:
    return len(p_arrow(0.5, 0.5, kind) if edited else p_text(0.5, kind))


def header_text(key: str, header: str, edited: bool) -> str:
    return "Critic's P" if key == "p" and not edited else header


def fit_header(header: str, width: int) -> str:
    """A header that fits its column: whole, else its first word (never a word cut in two)."""
    return header if len(header) <= width else header.split(" ")[0]


def column_widths(rows: list[CaseRow], width: int, edited: bool) -> list[int]:
    """Each column's width for these rows in a list `width` wide (0: not drawn).

    Every column but the prompt is as wide as its longest value or its header (within its
    bounds); the prompt takes the rest, at least PROMPT_MIN (the list then scrolls sideways).
    Each drawn column takes its width plus one space either side. Reads no row's cells.
    """
    longest = {
        "case": max((len(r.case.id) for r in rows), default=0),
        "gold": max((gold_width(r.case, r.principle_id) for r in rows), default=0),
        "saved": max((len(label_word(r.before.label)) for r in rows if r.before), default=0),
        "edited": max((len(label_word(r.after.label)) for r in rows if r.after), default=0),
        "flip": 4,
        "p": max((p_width(kind_of(r.case), edited) for r in rows if r.before or r.after), default=0),
    }
    widths: list[int] = []
    for key, header, low, high in COLUMNS:
        if key == "prompt" or (key in ("edited", "flip") and not edited):
            widths.append(0)
            continue
        title = len(header_text(key, header, edited))
        widths.append(min(max(longest[key], low, title if longest[key] else low), high))
    used = sum(w + 2 for w in widths if w)
    widths[-1] = max(width - used - 2, PROMPT_MIN)
    return widths


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
        self.edited = False  # the wording changed: the edited and flip columns are drawn
        self._widths: list[int] = column_widths([], 80, False)
        self._sized_for = 0

    # --- rows ------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.ids)

    def set_rows(self, rows: list[CaseRow], edited: bool = False) -> None:
        """Show these rows; the cursor stays on the same case when it is still shown."""
        current = self.current_id()
        self.rows = {row.case.id: row for row in rows}
        self.ids = list(self.rows)
        self.edited = edited
        self._size_columns()
        index = self.ids.index(current) if current in self.rows else 0
        self.cursor = min(index, max(len(self.ids) - 1, 0))
        if index == 0:
            self.scroll_to(y=0, animate=False)
        self.refresh()

    def get_row(self, case_id: str) -> tuple[Text, ...]:
        return self.rows[case_id].cells()

    def _size_columns(self) -> None:
        """Columns sized to the rows and the list's width (see `column_widths`)."""
        width = self.scrollable_content_region.width or self.app.size.width - 4
        self._sized_for = width
        self._widths = column_widths(list(self.rows.values()), width, self.edited)
        size = Size(sum(w + 2 for w in self._widths if w), len(self.ids) + 1)
        if size != self.virtual_size:
            self.virtual_size = size

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._sized_for:
            self._size_columns()
            self.refresh()

    def column_width(self, key: str) -> int:
        return self._widths[[k for k, *_ in COLUMNS].index(key)]

    # --- rendering -------------------------------------------------------------------

    def _line(self, cells: tuple[Text, ...], style: Style) -> list[Segment]:
        line = Text(end="", no_wrap=True, style=style)
        for cell, width in zip(cells, self._widths, strict=True):
            if not width:
                continue
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
            header = tuple(
                Text(fit_header(header_text(key, label, self.edited), width))
                for (key, label, *_), width in zip(COLUMNS, self._widths, strict=True)
            )
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
        self.principle_id: str | None = None  # whose linked cases are shown

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
        principle_id: str | None = None,
        zero_flips: str = "",
        trust: str = "",
    ) -> None:
        """Fill the table; `edited` labels are only meaningful when the wording changed.

        `zero_flips` is said right after "0 flips" when an edit flipped nothing under a critic
        that cannot be believed ("do not act on 0 flips from this critic"). `trust` (the
        principle's own trust) goes on the panel's lower border, whole, not after the status.
        """
        self.principle_id = principle_id
        if self.border_subtitle != trust:
            self.border_subtitle = trust
        rows = []
        for case in cases:
            before = saved.get(case.id)
            after = edited.get(case.id) if wording_changed else before
            rows.append(CaseRow(case, before, after, wording_changed, principle_id))
        self.flips = [row.case.id for row in rows if row.flipped]
        shown = [row for row in rows if row.flipped] if self.flips_only else rows
        table = self.query_one(CaseTable)
        table.empty = "no flips — f shows all" if self.flips_only and cases else ""
        table.set_rows(shown, edited=wording_changed)
        status = plural(len(cases), "linked case")
        if saved or edited:
            status += f" · {plural(len(self.flips), 'flip')}"
            if wording_changed and edited and not self.flips and zero_flips:
                status += f" — {zero_flips}"
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
