"""Smaller file-layer defects an audit of issue 11 reproduced: each test failed before its fix."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fixtures.files import snapshot

from constitution_studio.cli import main
from constitution_studio.core.authoring import rename_principle


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664])
def test_rename_keeps_the_files_mode(mini: Path, mode: int) -> None:
    os.chmod(mini / "principles/HARM-01.yaml", mode)
    old_umask = os.umask(0o022)
    try:
        rename_principle(mini, "HARM-01", "HARM-09")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((mini / "principles/HARM-09.yaml").stat().st_mode) == mode


@pytest.mark.parametrize("title", ["caf\udcff", "\udce9t\udce9", "ok\ud800"])
def test_new_with_a_title_that_is_not_utf8_is_one_line_exit_2(
    mini: Path, capsys: pytest.CaptureFixture[str], title: str
) -> None:
    """`cstudio new NEW-06 --title $'caf\\xff'`: argv holds a surrogate; it was exit 3 (internal error)."""
    before = snapshot(mini)
    code, out, err = run(capsys, "new", "NEW-06", "--title", title, "--root", str(mini))
    assert code == 2 and out == "" and err.count("\n") == 1 and "UTF-8" in err
    assert snapshot(mini) == before


@pytest.mark.parametrize("hold", ["write", "exclusive"])
def test_cache_clear_leaves_a_busy_cache_alone(
    mini: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hold: str
) -> None:
    """Another process inside a write transaction: `cache clear` said "cleared 0" and moved the live file aside."""
    import sqlite3

    import constitution_studio.core.critic.cache as cache_mod
    from constitution_studio.core.critic.cache import ScoreCache

    monkeypatch.setattr(cache_mod, "CACHE_LOCK_TIMEOUT_S", 0.1)
    ScoreCache.for_root(mini).close()
    path = mini / ".cstudio" / "critic.sqlite"
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("INSERT INTO scores VALUES ('k', 0.5, 'm', 't', 'plain', 'default', 0)")
    if hold == "exclusive":
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
    else:
        holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO scores VALUES ('k2', 0.5, 'm', 't', 'plain', 'default', 0)")
    try:
        code, out, err = run(capsys, "cache", "clear", "--root", str(mini))
        if hold == "exclusive":  # not even readable: stats must not report an empty cache
            stats_code, stats_out, stats_err = run(capsys, "cache", "stats", "--root", str(mini))
            assert stats_code == 2 and stats_out == "" and "busy" in stats_err
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert code == 2 and out == "" and "busy" in err and "try again" in err
    assert len([line for line in err.splitlines() if "warning" not in line]) == 1
    assert path.exists() and not list(path.parent.glob("critic.sqlite.corrupt*"))
    db = sqlite3.connect(str(path))
    assert db.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 2
    db.close()


SHIPPED = Path(__file__).parents[3] / "principles" / "constitution.yaml"


@pytest.mark.parametrize("runs", [1, 2])
def test_calibrate_keeps_comments_with_what_they_precede(mini: Path, runs: int) -> None:
    """The shipped example: `# Gates for check:` moved above `calibration:` inside `critic:`."""
    from constitution_studio.cli.critic_cmd import _write_calibration

    text = SHIPPED.read_text(encoding="utf-8")
    assert "# Gates for `check`" in text and "calibration" not in text
    (mini / "principles/constitution.yaml").write_text(text, encoding="utf-8")
    entry = {"threshold": 0.9, "n": 8, "model": "path:tiny#0", "method": "plain"}
    for i in range(runs):  # a second calibrate replaces the block the first one added
        _write_calibration(mini, {"HON-01": dict(entry, n=8 + i)}, had_entries=i > 0)
    out = (mini / "principles/constitution.yaml").read_text(encoding="utf-8")
    lines = out.splitlines()
    gates = next(i for i, line in enumerate(lines) if line.startswith("# Gates for `check`"))
    assert lines[gates + 2] == "check:"  # the comment still sits right above `check:`
    assert out.index("calibration:") < out.index("# Gates") and lines[gates - 1] == ""
    start = lines.index("  calibration:")
    without = lines[:start] + lines[gates - 1 :]  # drop the block calibrate added: the rest is unchanged
    assert "\n".join(without) + "\n" == text


def test_a_temp_file_left_by_a_killed_move_is_removed_by_the_next_command(
    mini: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kill -9 during `move` with .cstudio unusable: `principles/.constitution.yaml.*.cstudio-tmp` stayed for good."""
    from constitution_studio.core.storage.journal import recover
    from constitution_studio.core.storage.locking import constitution_lock

    (mini / ".cstudio").write_text("not a folder\n")
    stale = mini / "principles" / ".constitution.yaml.0123456789ab.cstudio-tmp"
    stale_case = mini / "eval_cases" / ".cases.yaml.a1b2c3d4e5f6.cstudio-tmp"
    not_ours = [mini / "principles" / ".constitution.yaml.notatxid.cstudio-tmp", mini / "notes.cstudio-tmp"]
    for path in not_ours:
        path.write_text("someone else's file\n")
    before = snapshot(mini)
    for path in (stale, stale_case):
        path.write_text("half a write\n")
    with constitution_lock(mini):  # a live writer elsewhere would hold the lock: its temps stay
        import subprocess
        import sys

        code = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from constitution_studio.core.storage.journal import recover; recover(sys.argv[1])",
                str(mini),
            ],
            check=False,
        ).returncode
    assert code == 0 and stale.exists()
    assert main(["validate", "--root", str(mini)]) == 0
    assert "temp file" in capsys.readouterr().err
    assert not stale.exists() and not stale_case.exists() and all(p.exists() for p in not_ours)
    assert snapshot(mini) == before
    assert recover(mini) is None


@pytest.mark.parametrize("folder", ["principles", "eval_cases"])
def test_a_symlinked_folder_out_of_the_root_is_one_finding(
    mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str
) -> None:
    outside = tmp_path / "outside" / folder
    outside.parent.mkdir()
    os.replace(mini / folder, outside)
    (mini / folder).symlink_to(outside)
    code, out, err = run(capsys, "validate", "--root", str(mini))
    findings = [line for line in out.splitlines() if ": error:" in line or ": warning:" in line]
    assert code == 1 and len(findings) == 1, out
    assert findings[0].startswith(f"{folder}:1:1: error: outside-root") and "Traceback" not in err
    assert "HARM-01.yaml" not in out and "cases.yaml" not in out  # names outside the root are not echoed
