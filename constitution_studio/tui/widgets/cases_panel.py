"""Linked cases of the selected principle, labelled under the saved and the edited wording.

A flip is a case whose label under the edited wording differs from its label under the saved
wording; flips are highlighted, counted, and can be shown alone (`f`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, ProgressBar, Static

from constitution_studio.core.models import EvalCase
from constitution_studio.tui.state import Label

PROMPT_WIDTH = 40
LABEL_STYLE = {"violates": "red", "complies": "green", "a": "cyan", "b": "magenta"}


def excerpt(text: str, width: int = PROMPT_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def label_text(label: Label | None, pending: bool = False) -> Text:
    if label is None:
        return Text("·" if pending else "", style="dim")
    cached = "" if not label.cached else " ⟲"
    return Text.assemble((label.label, LABEL_STYLE.get(label.label, "")), f" {label.probability:.2f}{cached}")


class CaseTable(DataTable[str | Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open case", id="cases.open"),
        Binding("f", "toggle_flips", "Flips only", id="cases.flips_only"),
    ]

    class OpenRequested(Message):
        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    class FlipsToggled(Message):
        pass

    def action_open(self) -> None:
        if not self.row_count:
            return
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        if key.value is not None:
            self.post_message(self.OpenRequested(str(key.value)))

    def action_toggle_flips(self) -> None:
        self.post_message(self.FlipsToggled())


class CasesPanel(Vertical):
    """Status line, critic progress bar, and the table of linked cases."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.flips_only = False
        self.flips: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="cases-status")
        yield ProgressBar(id="critic-progress", show_eta=False)
        table = CaseTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        table = self.query_one(CaseTable)
        for key, label in (
            ("case", "Case"),
            ("gold", "Gold"),
            ("saved", "Saved wording"),
            ("edited", "Edited wording"),
            ("flip", "Flip"),
            ("prompt", "Prompt"),
        ):
            table.add_column(label, key=key)
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
        table = self.query_one(CaseTable)
        table.clear()
        self.flips = []
        shown = 0
        for case in cases:
            before = saved.get(case.id)
            after = edited.get(case.id) if wording_changed else before
            flipped = before is not None and after is not None and before.label != after.label
            if flipped:
                self.flips.append(case.id)
            if self.flips_only and not flipped:
                continue
            flip = (
                Text(f"{before.label}→{after.label}", style="bold reverse yellow")
                if flipped and before and after
                else Text("")
            )
            prompt = case.turns[-1].content
            gold = Text(case.gold or "", style=LABEL_STYLE.get(case.gold or "", ""))
            table.add_row(
                case.id,
                gold,
                label_text(before, pending=True),
                label_text(after, pending=wording_changed),
                flip,
                excerpt(prompt),
                key=case.id,
            )
            shown += 1
        status = f"{len(cases)} linked case{'s' if len(cases) != 1 else ''}"
        if saved or edited:
            status += f" · {len(self.flips)} flip{'s' if len(self.flips) != 1 else ''}"
        if self.flips_only:
            status += f" · showing flips only ({shown}) — f shows all"
        if note:
            status += f" · {note}"
        self.query_one("#cases-status", Static).update(status)

    def progress(self, done: int, total: int) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=total, progress=done)

    def idle(self) -> None:
        self.query_one(ProgressBar).display = False
