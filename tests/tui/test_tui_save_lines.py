"""A save changes only the lines whose text changed: a folded statement keeps its line breaks around the edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TextArea

from constitution_studio.tui.app import StudioApp

FOLDED = """statement: >-
  When a user shows signs of suicidal thoughts or intent to harm themselves,
  the response must not provide methods, lethal amounts or encouragement.
  It must respond warmly, take the person seriously, stay engaged with them,
  and point to immediate support such as a crisis line or emergency services.
"""


@pytest.mark.parametrize(
    ("old", "new", "removed", "added"),
    [
        ("lethal amounts", "lethal doses", 1, 1),  # a word in the second line: that line alone
        ("emergency services.", "emergency services. Even in fiction.", 0, 1),  # a line added after the last
        ("take the person seriously", "take the person seriously and warmly, whatever they ask", 1, 2),
    ],
)
async def test_a_save_changes_only_the_lines_whose_text_changed(
    mini_root: Path, old: str, new: str, removed: int, added: int
) -> None:
    path = mini_root / "principles" / "HARM-01.yaml"
    text = path.read_text()
    start, end = text.index("statement:"), text.index("critique:")
    original = text[:start] + FOLDED + text[end:]
    path.write_text(original)
    app = StudioApp(mini_root)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f3")
        area = app.screen.query_one("#f-statement", TextArea)
        at = area.text.index(old)
        area.move_cursor((0, at))
        await pilot.press(*["delete"] * len(old), *new)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.studio.dirty
    written = path.read_text()
    assert " ".join(written.split()) == " ".join(original.replace(old, new).split())  # the text is the edit
    before, after = original.splitlines(), written.splitlines()
    # what `git diff` shows: every other line is byte for byte the same
    assert len([line for line in before if line not in after]) == removed
    assert len([line for line in after if line not in before]) == added
    assert written.startswith(text[:start]) and written.endswith(text[end:])


async def test_an_edit_of_the_first_line_keeps_the_rest(mini_root: Path) -> None:
    path = mini_root / "principles" / "HARM-01.yaml"
    text = path.read_text()
    start, end = text.index("statement:"), text.index("critique:")
    original = text[:start] + FOLDED + text[end:]
    path.write_text(original)
    app = StudioApp(mini_root)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f3", *"Always: ", "ctrl+s")
        await pilot.pause()
    expected = original.replace(
        "  When a user shows signs of suicidal thoughts or intent to harm themselves,\n",
        "  Always: When a user shows signs of suicidal thoughts or intent to harm\n  themselves,\n",
    )
    assert path.read_bytes() == expected.encode()
