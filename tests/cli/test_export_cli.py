"""`cstudio export labels|preferences` on a temp repo with the tiny real critic."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fixtures.shift_support import build_repo

from constitution_studio.cli import main


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    return build_repo(tmp_path_factory.mktemp("exportcli") / "repo", str(tiny_model_dir))


def test_labels_from_the_cache_then_scored_on_request(repo: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "labels.jsonl"
    assert main(["export", "labels", "--root", str(repo), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "wrote 0 label rows" in err and "--score-missing" in err  # an empty cache: nothing to export
    assert out.read_text() == ""
    assert main(["export", "labels", "--root", str(repo), "--out", str(out), "--score-missing"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 14  # every (case, linked principle) of the fixture
    assert "not in the cache" not in capsys.readouterr().err
    judge = rows[0]["provenance"]["judge"]
    assert judge["model_identity"] and judge["template_set"] == "cs-judge-1"
    assert all(r["stable"] is not None for r in rows)  # --score-missing asks every judge variant
    # a second run reads the cache alone and writes the same rows
    again = tmp_path / "again.jsonl"
    assert main(["export", "labels", "--root", str(repo), "--out", str(again)]) == 0
    first = [json.loads(line) for line in out.read_text().splitlines()]
    second = [json.loads(line) for line in again.read_text().splitlines()]
    for row in (*first, *second):  # where this run computed: "auto" when the cache answered everything
        del row["provenance"]["judge"]["device"], row["provenance"]["judge"]["dtype"]
    assert second == first


def test_preferences_to_stdout(repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["export", "preferences", "--root", str(repo), "--score-missing"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["case_id"] for r in rows] == ["pair-1"]
    assert {"prompt", "chosen", "rejected", "abstain", "margin", "provenance"} <= set(rows[0])
    assert "1 preference row," in captured.err


def test_parquet_needs_a_file_and_pyarrow(repo: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert main(["export", "labels", "--root", str(repo), "--format", "parquet"]) == 2
    assert "--out FILE.parquet" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # the `export` extra not installed
    out = tmp_path / "labels.parquet"
    assert main(["export", "labels", "--root", str(repo), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "constitution-studio[export]" in err and "Traceback" not in err
    assert not out.exists()


def test_parquet_file(repo: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "prefs.parquet"
    assert main(["export", "preferences", "--root", str(repo), "--score-missing", "--out", str(out)]) == 0
    assert pq.read_table(out).column("case_id").to_pylist() == ["pair-1"]


def test_shift_reports_the_preference_set(tmp_path: Path, tiny_model_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from fixtures.shift_support import reword_move_add

    root = build_repo(tmp_path / "repo", str(tiny_model_dir), head_edit=reword_move_add)
    assert main(["shift", "main", "head", "--root", str(root), "--preferences", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    prefs = data["preferences"]
    assert (prefs["base_rows"], prefs["head_rows"]) == (1, 1) and prefs["removed"] == [] and prefs["added"] == []
    assert main(["shift", "main", "head", "--root", str(root), "--preferences"]) == 0
    out = capsys.readouterr().out
    assert "preference set (pair cases) main -> head: 1 -> 1 row," in out


def test_ctrl_c_cancels_after_the_batch_and_a_second_stops_at_once(capsys) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal

    from constitution_studio.cli.progress import interrupt_cancels

    before = signal.getsignal(signal.SIGINT)
    with interrupt_cancels() as cancel:
        os.kill(os.getpid(), signal.SIGINT)
        assert cancel.is_set()  # the first Ctrl-C asks long work to stop between batches
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
    assert "cancelling after the current batch" in capsys.readouterr().err
