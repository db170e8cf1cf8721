"""Words on screen are for a policy author, not a programmer (issue 12, item 5)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from textual.widgets import DataTable, Input

from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.screens.versions import VersionsScreen
from constitution_studio.tui.state import Label
from constitution_studio.tui.widgets.findings_panel import FindingsPanel
from constitution_studio.tui.widgets.principle_table import PrincipleTable
from constitution_studio.tui.words import change_count, change_kind, fit_words, label_forms, label_word, plural


def test_label_summary_in_words_longest_that_fits() -> None:
    forms = label_forms({"complies": 33, "a": 2, "b": 1})
    assert forms[0] == "33 comply · 2 prefer A · 1 prefers B"
    assert fit_words(forms, 40) == forms[0]
    assert fit_words(forms, 22) == "33 comply · 2 A · 1 B"
    assert fit_words(label_forms({"violates": 2, "complies": 33}), 12) == "2/35 violate"
    assert fit_words(label_forms({"violates": 1}), 12) == "1 violates"
    assert fit_words(label_forms({"a": 1}), 12) == "1 prefers A"
    assert fit_words(forms, 5) == "33 c…"
    assert label_forms({}) == []


def test_counts_and_kinds_in_words() -> None:
    assert change_count("fields", 1) == "1 field changed"
    assert change_count("fields", 2) == "2 fields changed"
    assert change_count("reworded", 3) == "3 reworded"
    assert change_kind("fields") == "fields changed" and change_kind("links") == "case links changed"
    assert plural(1, "case") == "1 case" and plural(0, "case") == "0 cases"
    assert [label_word(x) for x in ("a", "b", "violates", "complies")] == [
        "A preferred",  # core's one wording (core/wording.py)
        "B preferred",
        "violates",
        "complies",
    ]


async def test_principle_list_says_what_the_critic_said(mini_root: Path, screen_text: Callable[..., str]) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        studio = main.studio
        statement = studio.ws.principles["HARM-01"].statement
        studio.record("HARM-01", statement, "mini-001", Label("violates", 0.9))
        studio.record("HARM-01", statement, "mini-002", Label("complies", 0.2))
        table = main.query_one(PrincipleTable)
        table.invalidate("HARM-01")
        await pilot.pause()
        text = screen_text(app)
        assert "Critic says" in text and "1/2 violate" in text  # the 12-column form
        assert "✓" not in text and "✗" not in text
    app = StudioApp(mini_root)
    async with app.run_test(size=(80, 24)) as pilot:  # one pane: the list is wide, the words are whole
        studio = app.screen.studio
        statement = studio.ws.principles["HARM-01"].statement
        studio.record("HARM-01", statement, "mini-001", Label("violates", 0.9))
        studio.record("HARM-01", statement, "mini-002", Label("complies", 0.2))
        app.screen.query_one(PrincipleTable).invalidate("HARM-01")
        await pilot.pause()
        assert "1 violates · 1 complies" in screen_text(app)


async def test_findings_and_versions_speak_plainly(mini_root: Path, screen_text: Callable[..., str]) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=mini_root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=mini_root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "v1"], cwd=mini_root, check=True
    )
    app = StudioApp(mini_root)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#f-id", Input).focus()
        await pilot.press("ctrl+e", "backspace", "backspace", "x")
        await pilot.pause()
        findings = app.screen.query_one(FindingsPanel)
        where = [str(findings.get_row_at(i)[1]) for i in range(findings.row_count)]
        assert "HARM-01, ID" in where and not any(".id" in w for w in where)
        assert str(findings.border_title) == "Findings: 0 errors, 0 warnings, 1 in unsaved edits"
        app.screen.query_one("#f-id", Input).value = "HARM-01"  # back: nothing left unsaved
        app.screen.query_one("#f-title", Input).focus()
        await pilot.press("ctrl+e", "!")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, VersionsScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "1 field changed" in text and "1 fields" not in text
        assert "including 1 unsaved edit" in text and "edit(s)" not in text
        table = app.screen.query_one("#diff-table", DataTable)
        assert str(table.get_row("HARM-01")[1]) == "fields changed"
