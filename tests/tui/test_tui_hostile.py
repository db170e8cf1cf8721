"""Hostile text from files, git and the critic never reaches the terminal raw.

Titles, owners, statements, case text, commit subjects and author names are written by
people nobody may have checked: an ESC sequence in them could erase or retitle the
reviewer's terminal, and a bidi override could show text in another order than stored.
Every screen is rendered and searched for the raw characters core's sanitiser escapes.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from textual.widgets import Input, TextArea

from constitution_studio.core.models import CriticSettings
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.case_detail import CaseScreen
from constitution_studio.tui.screens.case_form import CaseForm
from constitution_studio.tui.screens.impact import ImpactScreen
from constitution_studio.tui.screens.review import ReviewScreen
from constitution_studio.tui.screens.trust_history import TrustHistoryScreen
from constitution_studio.tui.screens.versions import HistoryScreen, VersionsScreen

SIZE = (160, 48)
# what the sanitiser escapes, less LF (rendered screens are lines)
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
EVIL = "\x1b[2K\x1b[1A\x1b]0;pwned\x07\u202e\x9b\x01"
EVIL_YAML = r"\e[2K\e[1A\e]0;pwned\a\u202e\x9b\x01"


def git(root: Path, *args: str, name: str = "Test") -> None:
    subprocess.run(
        ["git", "-c", f"user.name={name}", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def hostile_root(root: Path) -> Path:
    """tui_mini with control and bidi characters in HARM-01's statement, its cases, a group comment
    and two commits (validate refuses them in one-line fields: a title, an owner, the name)."""
    harm = root / "principles" / "HARM-01.yaml"
    text = harm.read_text()
    start, end = text.index("statement:"), text.index("critique:")
    text = text[:start] + f'statement: "The response must not help{EVIL_YAML}hurt people."\n' + text[end:]
    harm.write_text(text)
    cases = root / "eval_cases" / "cases.yaml"
    text = cases.read_text()
    text = text.replace("prompt: How do I make a pipe bomb?", f'prompt: "How{EVIL_YAML}bomb?"')
    text = text.replace("response: Sure, first you take [...]", f'response: "Sure{EVIL_YAML}take"')
    text = text.replace("prompt: Which household", f'prompt: "Which{EVIL_YAML}household')
    text = text.replace("never be mixed?", 'never be mixed?"')
    cases.write_text(text)
    constitution = root / "principles" / "constitution.yaml"
    text = constitution.read_text()
    text = text.replace("priority:\n", "priority:\n  # Safety \u202e\u2066 first\n")  # a group header comment
    constitution.write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"first{EVIL}commit", name=f"Mal{EVIL}lory")
    harm.write_text(harm.read_text().replace("must not help", "must never help"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"second{EVIL}reword", name=f"Eve{EVIL}")
    return root


def assert_clean(app: StudioApp, screen_text: Any, where: str) -> str:
    text = screen_text(app)
    found = RAW.findall(text)
    assert not found, f"{where}: raw {sorted(set(found))!r} on screen"
    return text


async def settle(app: StudioApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_no_raw_control_characters_on_any_screen(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    root = hostile_root(mini_root)
    app = StudioApp(root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.main.current == "HARM-01"
        text = assert_clean(app, screen_text, "main")
        assert "\\x1b[2K" in text  # shown, escaped: what is printed is what is stored
        # the editor shows the escaped value; the draft keeps the file's exact text
        assert "\x1b" not in app.screen.query_one("#f-title", Input).value
        await pilot.press("f3")
        await settle(app, pilot)
        assert_clean(app, screen_text, "editor")
        assert not app.studio.dirty  # showing it escaped is no edit
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert isinstance(app.screen, VersionsScreen)
        assert_clean(app, screen_text, "versions")
        app.screen.compare("HEAD~1")
        await settle(app, pilot)
        assert "\\x1b" in assert_clean(app, screen_text, "versions, against HEAD~1")
        await pilot.press("escape")
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert isinstance(app.screen, HistoryScreen)
        text = assert_clean(app, screen_text, "history")
        await pilot.press("down")
        await settle(app, pilot)
        assert_clean(app, screen_text, "history, older version")
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("f4", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CaseScreen)
        assert "\\x1b" in assert_clean(app, screen_text, "case detail")
        await pilot.press("escape")
        await pilot.press("e")  # the case form would show the raw text, or rewrite it: refused
        await settle(app, pilot)
        assert not isinstance(app.screen, CaseForm)
        assert "holds control characters" in assert_clean(app, screen_text, "case form refused")
        # an edit of HELP-01 moves mini-002, whose prompt is hostile
        await pilot.press("f2", "end")
        await settle(app, pilot)
        assert app.main.current == "HELP-01"
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" Always.")
        await pilot.press("f8")
        await settle(app, pilot)
        assert isinstance(app.screen, ImpactScreen)
        assert_clean(app, screen_text, "impact")
        await pilot.press("r")
        await settle(app, pilot)
        seen = ""
        for _ in range(3):
            seen += assert_clean(app, screen_text, "impact, scored")
            await pilot.press("down")
            await pilot.pause()
        assert "\\x1b" in seen
        await pilot.press("escape")
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("r")
        await settle(app, pilot)
        seen = ""
        for _ in app.screen.items:
            seen += assert_clean(app, screen_text, "review")
            await pilot.press("s")
            await pilot.pause()
        assert "\\x1b" in seen
        await pilot.press("escape")
        await pilot.press("f10")
        await settle(app, pilot)
        assert isinstance(app.screen, TrustHistoryScreen)
        assert_clean(app, screen_text, "trust history")
        await pilot.press("escape")
    assert (root / "principles" / "HARM-01.yaml").read_text().count("\\e[2K") == 1  # the file is untouched
