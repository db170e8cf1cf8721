"""`cstudio critic compare` on the tiny real critic."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.shift_support import Version

from constitution_studio.cli import main
from tests.fixtures.report_schema import check_report


def test_compare_methods_and_variants(tmp_path: Path, tiny_model_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    Version(str(tiny_model_dir)).write(tmp_path)
    args = ["critic", "compare", "--root", str(tmp_path), "--method", "plain", "--method", "both"]
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    check_report(data)  # cstudio.compare/1 against docs/schema
    rows = data["rows"]
    assert {r["method"] for r in rows} == {"plain", "both"}
    assert len({r["variant"] for r in rows}) >= 2
    assert len(rows) == 2 * len({r["variant"] for r in rows})
    assert data["gold_cases"] == 10
    for r in rows:
        assert r["agreement"]["n"] == 10
        assert r["requests"] > 0
        assert {"value", "low", "high"} <= set(r["agreement"]["kappa"])
    # second run: everything from the cache, same figures
    assert main([*args, "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)["rows"]
    assert all(r["cached"] == r["requests"] for r in again)
    assert [r["agreement"] for r in again] == [r["agreement"] for r in rows]
    assert main([*args, "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("## Critic comparison") and "| plain |" in md
    assert main([*args]) == 0
    assert "balanced acc" in capsys.readouterr().out


def test_compare_unknown_method_exits_2(tmp_path: Path, tiny_model_dir: Path) -> None:
    Version(str(tiny_model_dir)).write(tmp_path)
    assert main(["critic", "compare", "--root", str(tmp_path), "--method", "magic"]) == 2


def test_compare_anchored_panel_and_consistency(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model_dir: Path, tiny_model_dir_seed1: Path, capsys
) -> None:
    Version(str(tiny_model_dir)).write(tmp_path)
    args = ["critic", "compare", "--root", str(tmp_path), "--method", "plain", "--method", "anchored"]
    args += ["--variant", "default", "--panel", str(tiny_model_dir), "--panel", f"{tiny_model_dir_seed1}@both"]
    assert main([*args, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["role"] for r in rows] == ["critic", "critic", "m1", "m2", "panel"]
    plain, anchored, m1, m2, panel = rows
    # anchored: its demonstrations are left out of agreement, and the n says so
    assert anchored["excluded"] > 0
    assert anchored["agreement"]["n"] == plain["agreement"]["n"] - anchored["excluded"]
    for r in (plain, anchored, m1, m2):
        assert r["family"] == "generic"
        assert 0.0 <= r["polarity_consistency"] <= 1.0
    assert m2["method"] == "both"
    assert panel["polarity_consistency"] is None and 0.0 <= panel["member_agreement"] <= 1.0
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "members agree" in text and "polarity" in text and "demos" in text


def test_compare_progress_says_which_run_of_how_many(tmp_path: Path, tiny_model_dir: Path) -> None:
    """A long compare (5 methods × 2 variants by default) says how far it is: 'run 3 of 4: …'."""
    from constitution_studio.core.compare import compare_critics
    from constitution_studio.core.workspace import load_root

    Version(str(tiny_model_dir)).write(tmp_path)
    ws = load_root(tmp_path)
    assert ws.constitution is not None
    labels: list[str] = []

    def progress(label: str, done: int, total: int) -> None:
        if not labels or labels[-1] != label:
            labels.append(label)

    result = compare_critics(
        tmp_path, ws, ws.constitution.critic, models=[str(tiny_model_dir)], methods=["plain", "both"], progress=progress
    )
    runs = len(result.rows)
    assert runs >= 4 and labels == [
        f"run {i} of {runs}: {r.model} {r.method} {r.variant}" for i, r in enumerate(result.rows, 1)
    ]
