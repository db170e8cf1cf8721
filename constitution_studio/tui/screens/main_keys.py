"""The main screen's keys (the footer, the help screen and the palette show them)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

MAIN_BINDINGS: list[BindingType] = [
    Binding("ctrl+s", "save", "Save", id="studio.save", priority=True, tooltip="Save every unsaved edit and the order"),
    Binding(
        "ctrl+r",
        "revert",
        "Revert",
        id="studio.revert",
        priority=True,
        tooltip="Revert the selected principle (and the order) to the saved version; asks first",
    ),
    Binding(
        "ctrl+t",
        "run_critic",
        "Critic",
        id="studio.run_critic",
        priority=True,
        tooltip="Run the critic on the selected principle's linked cases (saved and edited wording)",
    ),
    Binding(
        "escape",
        "cancel_critic",
        "Cancel critic",
        id="studio.cancel_critic",
        tooltip="Cancel the critic run (finished results are kept)",
    ),
    Binding(
        "f2",
        "pane('principles')",
        "List",
        id="studio.pane_principles",
        priority=True,
        tooltip="Go to the principle list",
    ),
    Binding(
        "f3",
        "pane('editor')",
        "Editor",
        id="studio.pane_editor",
        priority=True,
        tooltip="Go to the editor (the statement)",
    ),
    Binding("f4", "pane('cases')", "Cases", id="studio.pane_cases", priority=True, tooltip="Go to the linked cases"),
    Binding(
        "ctrl+o",
        "findings",
        "Findings",
        id="studio.findings",
        priority=True,
        tooltip="Go to the findings (validation problems)",
    ),
    Binding(
        "f5",
        "toggle_auto_run",
        "Auto-run: on",
        id="studio.auto_run",
        show=False,
        tooltip="Auto-run the critic when you pause typing, on/off (GPU only)",
    ),
    Binding(
        "ctrl+g",
        "versions",
        "Versions",
        id="studio.versions",
        priority=True,
        tooltip="Compare versions: the work tree (with unsaved edits) against a git ref",
    ),
    Binding(
        "ctrl+l",
        "history",
        "History",
        id="studio.history",
        priority=True,
        tooltip="History of the selected principle",
    ),
    Binding(
        "slash",
        "focus_filter",
        "Filter",
        id="studio.filter",
        key_display="/",
        show=False,
        tooltip="Filter the principles (ID, title, tag, wording, case text)",
    ),
]
