"""What the studio's screens ask of the app, typed: the open constitution, the critic, its trust, and its news.

Screens reach the app through `services(self)`, never `self.app.critic()  # type: ignore`: the
app is `StudioApp`, but a screen importing it would make a cycle (the app imports the screens;
import-linter forbids it). `StudioServices` is the contract between them, and app.py checks
that `StudioApp` keeps it (mypy), so a renamed or retyped method fails the type check instead of
a screen at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from textual.dom import DOMNode

from constitution_studio.core.models import CriticSettings

if TYPE_CHECKING:
    from constitution_studio.core.critic.judge import Judge
    from constitution_studio.tui.state import Studio
    from constitution_studio.tui.trust_view import TrustView


class StudioServices(Protocol):
    """The app's services the screens use."""

    studio: Studio  # the constitution open, its root and its unsaved edits

    @property
    def trust(self) -> TrustView: ...

    def critic(self) -> Judge:
        """The judge, opened once (call from a worker thread: loading may take seconds)."""
        ...

    def critic_settings(self) -> CriticSettings: ...

    def critic_loading(self) -> str | None:
        """What the judge's first cache miss waits for, or None when its model is loaded."""
        ...

    def critic_finished(self, principle_id: str) -> None:
        """Labels or gold changed: measure the trust again (off the UI thread)."""
        ...

    def trust_note(self, principle_id: str) -> str: ...

    def zero_flips_warning(self, principle_id: str | None = None) -> str: ...


def services(node: DOMNode) -> StudioServices:
    """The studio app behind `node` (a screen or widget of it), as its services."""
    return cast(StudioServices, node.app)
