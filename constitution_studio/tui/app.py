"""The studio app: opens a constitution root on the main screen; global keys, quit guard, critic.

`StudioApp(root, critic_settings=..., critic_factory=...)`: tests pass the tiny model's
settings; the critic itself is created lazily, in the critic worker's thread, on first use.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Input, TextArea
from textual.worker import get_current_worker

from constitution_studio.core.models import CriticSettings
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.workspace import Workspace
from constitution_studio.tui.analysis_actions import SCREEN_OF_ACTION, AnalysisActions, analysis_bindings
from constitution_studio.tui.commands import StudioCommands
from constitution_studio.tui.critic_bridge import CriticFactory, default_factory
from constitution_studio.tui.screens.help import HelpScreen, help_sections
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.screens.modals import confirm_quit
from constitution_studio.tui.state import Studio
from constitution_studio.tui.trust_view import NARROW_TITLE, TrustView
from constitution_studio.tui.workers import NO_REPR

if TYPE_CHECKING:
    from constitution_studio.core.critic.judge import Judge
    from constitution_studio.tui.services import StudioServices


class StudioApp(AnalysisActions, App[int]):
    TITLE = "Constitution Studio"
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute, so subclasses elsewhere find it
    COMMANDS = App.COMMANDS | {StudioCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
        Binding("f1", "help", "Help", id="app.help", priority=True),
        Binding("question_mark", "help_key", "Help", id="app.help_question", show=False, key_display="?"),
        *analysis_bindings(),
    ]

    def __init__(
        self,
        root: Path,
        *,
        workspace: Workspace | None = None,
        critic_settings: CriticSettings | None = None,
        critic_factory: CriticFactory | None = None,
    ) -> None:
        super().__init__()
        self.root = Path(root)
        self.studio = Studio(self.root, workspace)
        self._critic_settings = critic_settings
        self._critic_factory = critic_factory or default_factory
        self._critic: Judge | None = None
        self._critic_lock = threading.Lock()
        self.demonstrations: dict[str, set[str]] = {}  # anchored: gold shown per principle (left out of trust)
        self._anchored_to: Any = None  # the workspace the demonstrations were chosen from
        self._trust_advised = False
        self.trust = TrustView()

    # --- screens ---------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(self.make_main_screen())
        self.update_subtitle()

    def make_main_screen(self) -> MainScreen:
        return MainScreen(self.studio)

    @property
    def main(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    def update_subtitle(self) -> None:
        """Name, folder and trust; a terminal under NARROW_TITLE wide reads the trust first (the rest is cut)."""
        c = self.studio.ws.constitution
        name = f"{c.name} v{c.version}" if c else "(constitution.yaml did not load)"
        where = f"{name} · {self.root.resolve().name}"
        narrow = self.size.width < NARROW_TITLE
        trust = self.trust.headline(narrow=narrow)
        line = f"{trust} · {where}" if narrow else f"{where} · {trust}"
        self.sub_title = sanitize(line)

    def on_resize(self) -> None:
        self.update_subtitle()

    def on_app_focus(self) -> None:
        """The terminal has the focus again: the main screen looks at the files now, not at the next poll.

        (Textual delivers AppFocus to the app only, never to a screen.)
        """
        if any(isinstance(screen, MainScreen) for screen in self.screen_stack):
            self.main.disk_sync.check_disk()  # nothing while another screen is on top

    def format_title(self, title: str, sub_title: str) -> Content:
        """Below NARROW_TITLE columns the title bar is the sub-title alone: the trust (or the
        screen's own line) fits 80 columns instead of being cut after "Constitution Studio —"."""
        if sub_title and self.size.width < NARROW_TITLE:
            return Content(sub_title)
        return super().format_title(title, sub_title)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens and widgets call this one) through core's sanitiser, as plain text.

        Messages quote IDs, paths and error lines from the files: an ESC sequence there must
        not reach the terminal, nor a `[link=…]` be read as markup.
        """
        super().notify(
            sanitize(message, keep_newlines=True),
            title=sanitize(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `?` is text inside an input or the statement editor; F1 ("help") always works.
        if action in ("help_key", "impact_key") and isinstance(self.focused, Input | TextArea):
            return False
        # F8 on the impact view (F9 on the review queue…) would open what is open: not in its footer
        return not (action in SCREEN_OF_ACTION and self.screen.id == SCREEN_OF_ACTION[action])

    def action_help_key(self) -> None:
        self.action_help()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(help_sections(self)))

    # --- quitting --------------------------------------------------------------------

    async def action_quit(self) -> None:
        studio = self.studio
        self.main.sync_editor()  # a keystroke whose message is still queued counts as an edit
        if not studio.dirty:
            self.exit(0)
            return
        dirty = [d.key for d in studio.drafts.values() if d.dirty]
        if studio.order_dirty:
            dirty.append("priority order")

        def decided(choice: str | None) -> None:
            if choice == "discard" or (choice == "save" and self.main.disk_sync.save()):
                self.exit(0)

        self.push_screen(confirm_quit(dirty), decided)

    # --- critic ----------------------------------------------------------------------

    def critic_settings(self) -> CriticSettings:
        if self._critic_settings is not None:
            return self._critic_settings
        c = self.studio.ws.constitution
        return c.critic if c is not None else CriticSettings()

    def critic(self) -> Judge:
        """The judge, opened once (called from the worker thread: opening reads the model's files)."""
        with self._critic_lock:
            critic = self._critic
            if critic is None:
                critic = self._critic = self._critic_factory(self.critic_settings(), self.root)
            ws = self.studio.ws
            if ws is not self._anchored_to:
                from constitution_studio.core.analysis.judging import anchor

                # method anchored: the judge sees the demonstrations `cstudio eval` would choose
                # from the saved files, again after they change (a review verdict is new gold)
                self.demonstrations = anchor(critic, ws)
                self._anchored_to = ws
            return critic

    def critic_loading(self) -> str | None:
        """What the judge's first cache miss waits for ("loading the critic model …", sanitised: it
        names critic.model), or None when its model is loaded."""
        critic = self._critic
        if critic is None:
            return "starting the critic…"
        return None if critic.loaded else sanitize(critic.loading_message)

    def critic_finished(self, principle_id: str) -> None:
        """Labels changed: measure trust again, off the UI thread (seconds at 50,000 cases)."""
        self._measure_trust(self.trust.snapshot(self.studio))

    @work(thread=True, exclusive=True, group="trust", exit_on_error=False, description=NO_REPR)
    def _measure_trust(self, snapshot: Any) -> None:
        worker = get_current_worker()
        report = self.trust.measure(snapshot, self._critic, self.demonstrations)
        change = self.trust.measure_change(snapshot, self._critic, self.root) if report is not None else None
        if not worker.is_cancelled:
            self.call_from_thread(self._trust_measured, report, change)

    def _trust_measured(self, report: Any, change: Any = None) -> None:
        if report is None:
            return
        self.trust.report = report
        self.trust.change = change
        self.update_subtitle()
        from constitution_studio.tui.screens.review import ReviewScreen

        if isinstance(self.screen, ReviewScreen):
            self.screen.trust_measured()  # the reviewer sees the figure their verdicts move
        if any(isinstance(screen, MainScreen) for screen in self.screen_stack):
            self.main.refresh_cases()  # the per-principle trust note under the cases
        advice = self.trust.advice(in_review=self.screen.id == "review")
        if advice and not self._trust_advised:
            self._trust_advised = True  # once a session: the title bar keeps the short form
            self.notify(advice, title="Can the critic be believed?", timeout=10)

    def trust_note(self, principle_id: str) -> str:
        return self.trust.principle_note(principle_id)

    def zero_flips_warning(self, principle_id: str | None = None) -> str:
        return self.trust.zero_flips_warning(principle_id)


if TYPE_CHECKING:

    def _keeps_the_services(app: StudioApp) -> StudioServices:
        return app  # mypy: StudioApp provides every service the screens use (tui/services.py)
