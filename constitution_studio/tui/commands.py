"""The command palette (ctrl+p): every studio action by name, plus jumping to a principle.

A principle is found by its ID, its title, one of its tags or words of its statement
("self-harm" finds HARM-02 by its tag and its title); the hit says where the words were.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from constitution_studio.core.models import Principle
from constitution_studio.core.sanitize import sanitize

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


def _excerpt(text: str, at: int, width: int = 60) -> str:
    start = max(at - width // 3, 0)
    piece = " ".join(text[start : start + width].split())
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def where_found(principle: Principle, query: str) -> tuple[float, str] | None:
    """How well a principle's title, tags and statement match `query`, and where (None: they do not).

    Every word of the query must occur (case-insensitive) in one of them: the title scores
    highest, then a tag, then the statement.
    """
    words = query.lower().split()
    if not words:
        return None
    title = principle.title.lower()
    if all(w in title for w in words):
        return 0.9, "title"
    tags = [t for t in principle.tags if any(w in t.lower() for w in words)]
    tag_text = " ".join(principle.tags).lower()
    if tags and all(w in tag_text for w in words):
        return 0.8, "tag: " + ", ".join(tags)
    statement = principle.statement
    lowered = statement.lower()
    if all(w in lowered for w in words):
        return 0.6, "statement: " + _excerpt(statement, lowered.index(words[0]))
    return None


class StudioCommands(Provider):
    """Actions, then 'Go to <principle>' for every loaded principle."""

    @property
    def studio_app(self) -> StudioApp:
        return cast("StudioApp", self.app)  # the palette is registered by StudioApp only (COMMANDS)

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
        app = self.studio_app
        for pid in app.studio.principle_ids():
            principle = app.studio.ws.principles[pid]
            if matcher.match(f"Go to {pid}") > 0:
                continue  # found by its ID above
            found = where_found(principle, query)
            if found is not None:
                score, where = found
                text = sanitize(f"Go to {pid}: {principle.title}")
                yield Hit(score, text, partial(app.main.jump_to, pid), help=sanitize(where))
