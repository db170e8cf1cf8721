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

WORDS = """[b]Words on screen[/b]
[b]Critic[/b]  a local language model that reads a principle and a conversation and says whether the
  response violates or complies with it (for a pair: which response, a or b, follows it better).
[b]Probability[/b]  how sure the critic is, from 0 to 1: 0.83 "violates" means it leans 83% towards
  violates. The label is the side of the threshold (usually 0.5) the probability falls on.
[b]Saved / edited wording[/b]  the critic's label under the statement on disk and under your edit.
  "(cached)" means the label was read from earlier runs, not computed now.
[b]Flip[/b]  a case whose label changes between the saved and the edited wording.
[b]Gold[/b]  a person's verdict on a case; the critic is checked against it.
[b]Δ (change)[/b]  how far the probability moved; [b]noise band[/b] how far it moves when only the
  judge prompt's wording changes. A flip inside the noise band may not be your edit's doing.
[b]Impact[/b] (F8)  every case your unsaved edits can move, across the whole constitution; only
  flips outside the noise band are marked as changes. [b]Review queue[/b] (F9)  cases worth a human
  look; your verdict is saved as the case's gold label. [b]Trust history[/b] (F10)  agreement over commits.
[b]Trust[/b]  how well the critic agrees with gold: agreement (kappa) 1 is full agreement, 0 is
  chance, counted over the human labels (gold cases). With unknown or untrusted: calibrate (`cstudio calibrate`),
  add gold labels to more cases, or configure a stronger critic model (docs/critic.md).
"""


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
            table.add_row(b.key_display or b.key, b.tooltip or b.description)
        table.add_row("", "")
    return table


def bindings_of(obj: object) -> list[Binding]:
    return [b for b in getattr(obj, "BINDINGS", []) if isinstance(b, Binding)]


def help_sections(app: object) -> list[tuple[str, list[Binding]]]:
    """Every binding of the studio, grouped by where it works."""
    from constitution_studio.tui.screens.impact import ImpactScreen
    from constitution_studio.tui.screens.main import FilterInput, MainScreen
    from constitution_studio.tui.screens.review import ReviewScreen
    from constitution_studio.tui.screens.trust_history import TrustHistoryScreen
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
        ("Impact screen (F8)", bindings_of(ImpactScreen)),
        ("Review queue (F9)", bindings_of(ReviewScreen)),
        ("Trust history (F10)", bindings_of(TrustHistoryScreen)),
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
            yield Static(WORDS)
