"""`cstudio shift` on a temp repo with the tiny real critic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.shift_support import build_repo, reword_move_add

from constitution_studio.cli import main


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    return build_repo(tmp_path_factory.mktemp("shiftcli") / "repo", str(tiny_model_dir), head_edit=reword_move_add)


def test_text_shows_trust_first_then_the_table(repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["shift", "main", "head", "--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("critic ")
    assert "label shift main -> head" in out
    assert out.index("trust") < out.index("HARM-01      reworded")


def test_json_and_principle_filter(repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["shift", "main", "head", "--root", str(repo), "--format", "json", "--principle", "HARM-01"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["principle_id"] for p in data["principles"]] == ["HARM-01"]
    assert data["trust"]["level"] in ("unknown", "untrusted", "weak", "good")
    assert {"kappa", "auc", "balanced_accuracy", "accuracy"} <= set(data["trust"]["overall"])
    assert "n_flips_stable" in data["overall"]


def test_markdown(repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["shift", "main", "head", "--root", str(repo), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Label shift `main` → `head`")
    assert "**Critic trust:" in out


def test_unknown_principle_and_bad_ref_exit_2(repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["shift", "main", "head", "--root", str(repo), "--principle", "NOPE-99"]) == 2
    assert main(["shift", "no-such-ref", "--root", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "NOPE-99" in err and "Traceback" not in err
