"""The help screen: every key of the studio, from the live bindings (so it never goes stale)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "Edit a principle's wording and see which linked eval cases change label under the critic.\n"
    "Nothing is written until you save (ctrl+s); quitting with unsaved edits asks first."
)


def bindings_table(sections: list[tuple[str, list[Binding]]]) -> Table:
    table = Table(box=None, expand=True, show_header=False, padding=(0, 2))
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Action")
    for title, bindings in sections:
        table.add_row(f"[bold]{title}[/]", "")
        seen: set[str] = set()
        for b in bindings:
            if not b.description or b.key in seen:
                continue
            seen.add(b.key)
            table.add_row(b.key_display or b.key, b.description)
        table.add_row("", "")
    return table


def bindings_of(obj: object) -> list[Binding]:
    return [b for b in getattr(obj, "BINDINGS", []) if isinstance(b, Binding)]


def help_sections(app: object) -> list[tuple[str, list[Binding]]]:
    """Every binding of the studio, grouped by where it works."""
    from constitution_studio.tui.screens.main import FilterInput, MainScreen
    from constitution_studio.tui.screens.versions import HistoryScreen, VersionsScreen
    from constitution_studio.tui.widgets.cases_panel import CaseTable
    from constitution_studio.tui.widgets.findings_panel import FindingsPanel
    from constitution_studio.tui.widgets.principle_table import PrincipleTable

    command_palette = Binding("ctrl+p", "command_palette", "Command palette: every action by name")
    return [
        ("Everywhere", [*bindings_of(app), command_palette]),
        ("Main screen (also while typing)", bindings_of(MainScreen)),
        ("Principles list", bindings_of(PrincipleTable)),
        ("Filter box", bindings_of(FilterInput)),
        ("Linked cases", bindings_of(CaseTable)),
        ("Findings", bindings_of(FindingsPanel)),
        ("Versions screen", bindings_of(VersionsScreen)),
        ("History screen", bindings_of(HistoryScreen)),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "app.pop_screen", "Close help", id="help.close"),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__(id="help-screen")
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static("[b]Constitution Studio — keys[/b]\n" + INTRO + "\n")
            yield Static(bindings_table(self.sections))
