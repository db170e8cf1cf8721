"""The command palette (ctrl+p): every studio action by name, plus jumping to a principle."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from constitution_studio.tui.app import StudioApp

# (title, help, action on the main screen or "app.<action>")
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Save", "Write every unsaved edit and the priority order (ctrl+s)", "save"),
    ("Revert to saved", "Drop the unsaved edits of the selected principle (ctrl+r)", "revert"),
    ("Run critic", "Label the linked cases under the saved and the edited wording (ctrl+t)", "run_critic"),
    ("Cancel critic", "Stop the running critic (escape)", "cancel_critic"),
    ("Auto-run critic on/off", "With a GPU, run the critic when you pause typing (f5)", "toggle_auto_run"),
    ("Compare versions", "Structural diff of the work tree against a git ref (ctrl+g)", "versions"),
    ("History of principle", "Commits that changed the selected principle (ctrl+l)", "history"),
    ("Findings", "Focus the validation findings (ctrl+o)", "findings"),
    ("Filter principles", "Type to filter by ID, title, tag, wording or case text (/)", "focus_filter"),
    ("Move principle up", "Raise the selected principle in the priority order (shift+up)", "move_selected(-1)"),
    ("Move principle down", "Lower the selected principle in the priority order (shift+down)", "move_selected(1)"),
    ("Toggle flips only", "Show only the cases whose label flips under the edit (f)", "toggle_flips"),
    ("Impact of the edits", "What the unsaved edits change across the whole constitution (F8 or i)", "app.impact"),
    ("Review queue", "Record your verdict on the critic's least certain labels as gold (F9)", "app.review"),
    ("Trust history", "The critic's agreement with gold over the last commits (F10)", "app.trust_history"),
    ("Help", "Every key of the studio (F1)", "app.help"),
    ("Quit", "Leave the studio; asks first when edits are unsaved (ctrl+q)", "app.quit"),
)


class StudioCommands(Provider):
    """Actions, then 'Go to <principle>' for every loaded principle."""

    @property
    def studio_app(self) -> StudioApp:
        return self.app  # type: ignore[return-value]

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.studio_app
        out: list[tuple[str, str, Callable[[], object]]] = []
        for title, help_text, action in ACTIONS:
            out.append((title, help_text, partial(app.run_action, action, app.main)))
        for pid in app.studio.principle_ids():
            title = app.studio.ws.principles[pid].title
            out.append((f"Go to {pid}", title, partial(app.main.jump_to, pid)))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            if not title.startswith("Go to "):
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
