"""`cstudio init`: an empty folder to a first `eval` in one command; never over a constitution."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest
from fixtures.files import snapshot

from constitution_studio.cli import main
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import NoConstitutionError


def test_init_then_validate_clean_then_eval_runs(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "support-bot"
    assert main(["init", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"created a constitution in {root}:") and "principles/constitution.yaml" in out
    assert f"cstudio validate --root {root}" in out
    # valid, with no warning at all: one principle, linked to one case with gold
    assert main(["validate", "--root", str(root)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "ok: 1 principle, 1 case: 0 errors, 0 warnings" in captured.err
    ws = load_root(root)
    assert list(ws.principles) == ["HELP-01"] and ws.priority == ["HELP-01"]
    assert [(c.id, c.gold, c.principles) for c in ws.cases.values()] == [("help-001", "violates", ["HELP-01"])]
    assert ws.constitution is not None and ws.constitution.name == "Support Bot Constitution"
    # the files around it
    assert "## Constitution" in (root / "README.md").read_text()
    assert ".cstudio/" in (root / ".gitignore").read_text().split()
    settings = json.loads((root / ".vscode" / "settings.json").read_text())
    for schema, pattern in settings["yaml.schemas"].items():
        assert (root / schema).is_file() and json.loads((root / schema).read_text())["$schema"]
        assert pattern
    # and the critic runs on it (the tiny test model in place of the builtin one)
    assert main(["eval", "--root", str(root), "--critic-model", str(tiny_model_dir), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["case_id"] for c in report["cases"]] == ["help-001"]
    assert report["cases"][0]["verdict"]["label"] in ("violates", "complies")


def test_init_never_overwrites_a_constitution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "c"
    assert main(["init", str(root)]) == 0
    (root / "principles" / "HELP-01.yaml").write_text((root / "principles" / "HELP-01.yaml").read_text() + "# mine\n")
    before = snapshot(root)
    readme = (root / "README.md").read_bytes()
    capsys.readouterr()
    assert main(["init", str(root)]) == 2
    assert "already exists; init never overwrites a constitution" in capsys.readouterr().err
    assert snapshot(root) == before and (root / "README.md").read_bytes() == readme


def test_init_keeps_what_is_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    (root / ".vscode").mkdir(parents=True)
    (root / "README.md").write_bytes(b"# Our bot\r\n\r\nIt answers questions.\r\n")
    (root / ".gitignore").write_text("node_modules/\n")
    (root / ".vscode" / "settings.json").write_text('{"editor.tabSize": 2}\n')
    assert main(["init", str(root), "--name", "Support policy"]) == 0
    assert "settings.json exists and was left as it is" in capsys.readouterr().err
    readme = (root / "README.md").read_bytes()
    assert readme.startswith(b"# Our bot\r\n\r\nIt answers questions.\r\n\r\n## Constitution\r\n")
    assert b"\n" not in readme.replace(b"\r\n", b"")  # the file's own line endings
    assert (root / ".gitignore").read_text().startswith("node_modules/\n\n# Constitution Studio")
    assert (root / ".vscode" / "settings.json").read_text() == '{"editor.tabSize": 2}\n'
    ws = load_root(root)
    assert not ws.findings and ws.constitution is not None and ws.constitution.name == "Support policy"


def test_a_failed_init_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "README.md").write_text("# read-only\n")
    (root / "README.md").chmod(0o444)
    try:
        assert main(["init", str(root)]) == 2
    finally:
        (root / "README.md").chmod(0o644)
    assert "README.md" in capsys.readouterr().err
    left = sorted(p.name for p in root.iterdir() if p.name != ".cstudio")
    assert left == ["README.md"]  # no constitution, no empty folders, nothing half-written


def test_every_no_constitution_error_points_to_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    for argv in (["validate"], ["new", "HELP-02", "--title", "x"], ["validate", "--root", str(empty)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "`cstudio init" in err, (argv, err)
    assert main(["validate", "--root", str(empty / "missing")]) == 2
    assert f"`cstudio init {empty / 'missing'}`" in capsys.readouterr().err
    # the studio's start: the same error before any screen opens
    from constitution_studio.cli.tui_cmd import run_tui

    with pytest.raises(NoConstitutionError, match="cstudio init"):
        run_tui(argparse.Namespace(root=None, critic_server=None))
    assert os.listdir(empty) == []
