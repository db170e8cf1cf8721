"""One rename: `cstudio rename` and the studio's save (core's `save_principles` with the ID edited)
give byte-identical trees, and refuse the same renames."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures.files import MINI, snapshot

from constitution_studio.cli import main
from constitution_studio.core.authoring import draft_from_disk, save_principles
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import StudioError

Setup = Callable[[Path], None]


def _yml_suffix(root: Path) -> None:
    os.replace(root / "principles" / "HON-01.yaml", root / "principles" / "HON-01.yml")


def _broken_neighbour(root: Path) -> None:
    _yml_suffix(root)
    (root / "principles" / "HON-02.yml").write_text("id: HON-02\ntitle: [unclosed\n")  # does not load


def _crlf_and_comments(root: Path) -> None:
    path = root / "principles" / "HARM-01.yaml"
    text = "# the backstop\n" + path.read_text().replace("status:", "# reviewed yearly\nstatus:")
    path.write_bytes(text.replace("\n", "\r\n").encode())
    (root / "eval_cases" / "more.yaml").write_text(
        "cases:\n  - id: more-001\n    principles: [HELP-01, HARM-01]  # both\n    prompt: q\n    response: r\n"
    )


SCENARIOS: dict[str, tuple[Setup, str, str]] = {
    "yml-suffix": (_yml_suffix, "HON-01", "HON-02"),
    "broken-file-with-the-new-id": (_broken_neighbour, "HON-01", "HON-02"),
    "crlf-comments-two-case-files": (_crlf_and_comments, "HARM-01", "HARM-09"),
}


def _cli(root: Path, old: str, new: str) -> str:
    return "ok" if main(["rename", "--root", str(root), old, new]) == 0 else "refused"


def _core_save(root: Path, old: str, new: str) -> str:
    """What the studio's save calls: a draft over the file as read, its ID edited."""
    ws = load_root(root)
    draft = draft_from_disk(root, ws, old)
    draft.edited["id"] = new
    try:
        save_principles(
            root, ws, [draft], order=list(ws.priority), constitution_text=ws.text("principles/constitution.yaml")
        )
    except StudioError:
        return "refused"
    return "ok"


def _studio(root: Path, old: str, new: str) -> str:
    from constitution_studio.tui.state import Studio

    studio = Studio(root)
    studio.set_field(old, "id", new)
    try:
        outcome = studio.save_all()
    except StudioError:
        return "refused"
    return "refused" if outcome.problems else "ok"


@pytest.mark.parametrize(
    ("scenario", "how"),
    [
        *[(name, _core_save) for name in SCENARIOS],
        *[pytest.param(name, _studio, id=f"{name}-studio") for name in SCENARIOS],
    ],
)
def test_studio_rename_and_cli_rename_give_the_same_tree(
    tmp_path: Path, scenario: str, how: Callable[[Path, str, str], str]
) -> None:
    setup, old, new = SCENARIOS[scenario]
    trees = {}
    outcomes = {}
    for name, rename in (("cli", _cli), ("other", how)):
        root = tmp_path / name
        shutil.copytree(MINI, root)
        setup(root)
        before = snapshot(root)
        outcomes[name] = rename(root, old, new)
        trees[name] = snapshot(root)
        if outcomes[name] == "refused":
            assert trees[name] == before
    assert outcomes["other"] == outcomes["cli"]
    assert trees["other"] == trees["cli"]
    if scenario == "yml-suffix":
        assert "principles/HON-02.yml" in trees["cli"] and "principles/HON-02.yaml" not in trees["cli"]
    if scenario == "broken-file-with-the-new-id":
        assert outcomes["cli"] == "refused"
    if scenario == "crlf-comments-two-case-files":
        assert trees["cli"]["principles/HARM-09.yaml"].startswith(
            b"# the backstop\r\n# Harm avoidance.\r\nid: HARM-09\r\n"
        )
        assert b"principles: [HELP-01, HARM-09]  # both" in trees["cli"]["eval_cases/more.yaml"]
