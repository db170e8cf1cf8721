"""Regression tests for the file layer's data-loss defects (issue 11, defects 1-7)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from fixtures.files import snapshot

from constitution_studio.cli import main
from constitution_studio.core.authoring import move_principle, rename_principle
from constitution_studio.core.statedir import ensure_state_dir
from constitution_studio.core.storage.journal import JOURNAL, Transaction, recover
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import BadInputError, FileChangedError
from constitution_studio.tui.state import Studio

CONST = "principles/constitution.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- 1: rename only renames loaded principles, never anything outside the root -------------


@pytest.mark.parametrize("old", ["constitution", "../../x/important", "HARM-99", "principles/HARM-01"])
def test_rename_refuses_what_is_not_a_loaded_principle(
    mini: Path, capsys: pytest.CaptureFixture[str], old: str
) -> None:
    outside = mini.parent / "x" / "important.yaml"
    outside.parent.mkdir()
    outside.write_text("id: IMP-01\n")
    before = snapshot(mini)
    code, out, err = run(capsys, "rename", old, "HARM-09", "--root", str(mini))
    assert code == 2 and out == "" and err.count("\n") == 1 and "no principle" in err
    assert snapshot(mini) == before
    assert outside.read_text() == "id: IMP-01\n"


@pytest.mark.parametrize("new", ["HARM-01", "HELP-01", "bad", "X-1", "A" * 80 + "-01", "../HARM-09"])
def test_rename_refuses_a_bad_or_used_new_id(mini: Path, capsys: pytest.CaptureFixture[str], new: str) -> None:
    before = snapshot(mini)
    code, _, err = run(capsys, "rename", "HON-01", new, "--root", str(mini))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert snapshot(mini) == before


# --- 2: rename is all or nothing -----------------------------------------------------------


def test_rename_with_a_read_only_cases_folder_changes_nothing(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    before = snapshot(mini)
    (mini / "eval_cases").chmod(0o555)
    try:
        code, _, err = run(capsys, "rename", "HARM-01", "HARM-09", "--root", str(mini))
    finally:
        (mini / "eval_cases").chmod(0o755)
    assert code == 2 and "read-only" in err
    assert snapshot(mini) == before


def test_rename_refuses_when_a_case_file_cannot_be_written(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only case file (the write that would fail last) stops the whole rename before any write."""
    before = snapshot(mini)
    (mini / "eval_cases/cases.yaml").chmod(0o444)
    code, _, err = run(capsys, "rename", "HARM-01", "HARM-09", "--root", str(mini))
    assert code == 2 and "eval_cases/cases.yaml" in err and "read-only" in err
    assert snapshot(mini) == before
    assert not (mini / "principles/HARM-09.yaml").exists()


def test_a_failed_temp_write_rolls_everything_back(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Disk full on the third temp file: nothing moved, no temp file left."""
    import constitution_studio.core.storage.journal as journal

    real = journal._write_file
    calls = {"n": 0}

    def full_disk(path: Path, data: bytes, mode: int) -> None:
        if path.name.endswith(".cstudio-tmp"):
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(28, "No space left on device", str(path))
        real(path, data, mode)

    monkeypatch.setattr(journal, "_write_file", full_disk)
    before = snapshot(mini)
    with pytest.raises(BadInputError, match="nothing was changed"):
        rename_principle(mini, "HARM-01", "HARM-09")
    assert snapshot(mini) == before
    leftovers = [p for p in mini.rglob("*") if "cstudio-tmp" in p.name or p.name == JOURNAL]
    assert leftovers == []


def _half_applied(mini: Path) -> dict[str, bytes]:
    """Run a rename up to its journal being committed, without applying it (a kill -9 there)."""
    import constitution_studio.core.storage.journal as journal

    before = snapshot(mini)
    original = journal._apply

    def killed(root: Path, record: dict[str, object]) -> None:
        raise KeyboardInterrupt  # stands in for the process dying after the commit point

    journal._apply = killed  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            rename_principle(mini, "HARM-01", "HARM-09")
    finally:
        journal._apply = original  # type: ignore[assignment]
    return before


def test_a_committed_journal_is_finished_by_the_next_command(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _half_applied(mini)
    assert (mini / ".cstudio" / JOURNAL).exists()
    code, _, err = run(capsys, "validate", "--root", str(mini))
    assert code == 0 and "finished an interrupted write" in err
    ws = load_root(mini)
    assert "HARM-09" in ws.principles and "HARM-01" not in ws.principles
    assert all("HARM-01" not in c.principles for c in ws.cases.values())
    assert not [p for p in mini.rglob("*") if "cstudio-tmp" in p.name]


def test_a_preparing_journal_is_undone(mini: Path) -> None:
    before = snapshot(mini)
    state = ensure_state_dir(mini)  # the tool's own (marked) state folder
    tmp = mini / "principles" / ".HARM-09.yaml.0123456789ab.cstudio-tmp"
    tmp.write_text("id: HARM-09\n")
    (state / JOURNAL).write_text(
        '{"version": 2, "txid": "0123456789ab", "state": "preparing", "ops": [{"path": "principles/HARM-09.yaml",'
        ' "real": "principles/HARM-09.yaml", "tmp": "principles/.HARM-09.yaml.0123456789ab.cstudio-tmp",'
        ' "new": "x"}]}'
    )
    assert recover(mini) is not None
    assert not tmp.exists() and not (state / JOURNAL).exists()
    assert snapshot(mini) == before


def test_a_hostile_journal_is_never_replayed(mini: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    state = ensure_state_dir(mini)  # the tool's own (marked) state folder
    (state / JOURNAL).write_text(
        '{"version": 1, "state": "committed", "ops": [{"path": "x", "real": "../victim.txt", "tmp": null,'
        ' "new": null}]}'
    )
    note = recover(mini)
    assert note is not None and "aside" in note
    assert victim.read_text() == "precious"


def test_rename_retries_after_a_kill(mini: Path) -> None:
    """Defect 2's second half: a rename that was interrupted can be run again (after recovery)."""
    _half_applied(mini)
    recover(mini)
    assert rename_principle(mini, "HARM-09", "HARM-10")
    assert "HARM-10" in load_root(mini).principles


# --- 3: the studio compares against the text its fields came from ------------------------


def test_studio_save_refuses_a_teammates_edit_with_a_warm_parse_cache(mini: Path) -> None:
    load_root(mini)  # warm the parse cache (the normal case): the studio's load reads no text
    studio = Studio(mini)
    teammate = mini / "principles/HARM-01.yaml"
    teammate.write_text(teammate.read_text().replace("No serious physical harm", "Theirs"))
    studio.set_field("HARM-01", "title", "Mine")  # the draft is made now, after the teammate saved
    assert "principles/HARM-01.yaml" in studio.changed_on_disk()
    with pytest.raises(FileChangedError):
        studio.save_all()
    assert "Theirs" in teammate.read_text()


# --- 4: one lock per constitution ----------------------------------------------------------


def test_the_lock_is_exclusive_across_processes(mini: Path) -> None:
    import subprocess

    code = (
        "import sys; from pathlib import Path;"
        "from constitution_studio.core.storage.locking import constitution_lock;"
        "import constitution_studio.errors as e\n"
        "try:\n with constitution_lock(Path(sys.argv[1]), timeout=0.3): print('got')\n"
        "except e.FileChangedError as exc: print('busy', exc.exit_code)"
    )
    with constitution_lock(mini):
        out = subprocess.run([sys.executable, "-c", code, str(mini)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "busy 2"
    out = subprocess.run([sys.executable, "-c", code, str(mini)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "got"


def test_a_stale_read_is_refused_not_overwritten(mini: Path) -> None:
    txn = Transaction(mini)
    raw = txn.read(CONST)
    assert raw is not None
    (mini / CONST).write_bytes(raw + b"# teammate\n")
    txn.write(CONST, raw.replace(b"HARM-01", b"HARM-01", 1))
    with pytest.raises(FileChangedError, match="changed on disk"):
        txn.commit()
    assert (mini / CONST).read_bytes().endswith(b"# teammate\n")


# --- 5: symlinks ---------------------------------------------------------------------------


def test_a_symlinked_constitution_is_written_through(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = mini / "principles/real-constitution.txt"
    os.replace(mini / CONST, real)
    (mini / CONST).symlink_to("real-constitution.txt")
    code, out, _ = run(capsys, "move", "HON-01", "--to", "1", "--root", str(mini))
    assert code == 0 and "rank 3 -> 1" in out
    assert (mini / CONST).is_symlink()
    assert real.read_text().index("HON-01") < real.read_text().index("HARM-01")


def test_a_symlink_out_of_the_root_is_never_read_or_echoed(
    mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: SEC-01\ntitle: the password is hunter2\nstatement: x\nstatus: active\n")
    (mini / "principles/SEC-01.yaml").symlink_to(secret)
    code, out, _ = run(capsys, "validate", "--root", str(mini))
    assert code == 1
    assert "outside-root" in out and "hunter2" not in out


def test_a_symlinked_constitution_outside_the_root_is_not_written(
    mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere.yaml"
    os.replace(mini / CONST, elsewhere)
    (mini / CONST).symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    code, _, err = run(capsys, "move", "HON-01", "--to", "1", "--root", str(mini))
    assert code == 2 and "outside" in err
    assert elsewhere.read_bytes() == before


def test_a_committed_cstudio_symlink_is_not_written_through(mini: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (mini / ".cstudio").symlink_to(elsewhere)
    load_root(mini)
    with pytest.raises(BadInputError, match="symlink"):
        rename_principle(mini, "HON-01", "HON-02")
    move_principle(mini, "HON-01", 1)  # a single-file write needs no journal
    assert list(elsewhere.iterdir()) == []


# --- 6: mode, line endings, BOM, read-only -------------------------------------------------


def test_mode_crlf_and_bom_are_kept(mini: Path) -> None:
    path = mini / CONST
    text = path.read_text().replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    path.chmod(0o640)
    move_principle(mini, "HON-01", 1)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n") > 5
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert load_root(mini).priority[0] == "HON-01"


def test_a_read_only_file_is_not_replaced(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (mini / CONST).chmod(0o444)
    before = snapshot(mini)
    code, _, err = run(capsys, "move", "HON-01", "--to", "1", "--root", str(mini))
    assert code == 2 and "read-only" in err
    assert snapshot(mini) == before


def test_new_files_follow_the_umask(mini: Path) -> None:
    old = os.umask(0o022)
    try:
        from constitution_studio.core.authoring import new_principle

        path = new_principle(mini, "NEW-01", "New one")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        rename_principle(mini, "NEW-01", "NEW-02")
        assert stat.S_IMODE((mini / "principles/NEW-02.yaml").stat().st_mode) == 0o644
    finally:
        os.umask(old)


# --- 7: the parse cache sees a same-size edit with the mtime restored ---------------------


def test_a_same_size_edit_with_restored_mtime_is_seen(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--root", str(mini)]) == 0  # warm the cache
    path = mini / "eval_cases/cases.yaml"
    st = path.stat()
    text = path.read_text()
    broken = text.replace("principles: [HARM-01]", "principles: [HARM-07]", 1)
    assert len(broken) == len(text)
    path.write_text(broken)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    capsys.readouterr()
    code, out, _ = run(capsys, "validate", "--root", str(mini))
    assert code == 1 and "HARM-07" in out


@pytest.mark.parametrize("fail_at", range(1, 6))  # journal, three temp files, journal again
def test_disk_full_at_any_write_leaves_the_old_state(
    mini: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fail_at: int
) -> None:
    """ENOSPC from the n-th os.write of a rename (journal or temp file): exit 2, nothing changed."""
    real_write = os.write
    calls = {"n": 0}

    def full(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    before = snapshot(mini)
    monkeypatch.setattr(os, "write", full)
    code = main(["rename", "HARM-01", "HARM-09", "--root", str(mini)])
    monkeypatch.setattr(os, "write", real_write)
    err = capsys.readouterr().err
    assert calls["n"] >= fail_at
    assert code == 2 and err.count("\n") == 1 and "No space left" in err and "nothing was changed" in err
    assert snapshot(mini) == before
    assert not [p for p in mini.rglob("*") if "cstudio-tmp" in p.name or p.name == JOURNAL]


def test_rename_through_an_in_repo_symlink_keeps_the_target(mini: Path) -> None:
    """A principle file that links to a file elsewhere in the root: the link goes, the target stays."""
    shared = mini / "shared"
    shared.mkdir()
    os.replace(mini / "principles/HON-01.yaml", shared / "HON-01.yaml")
    (mini / "principles/HON-01.yaml").symlink_to("../shared/HON-01.yaml")
    before = (shared / "HON-01.yaml").read_bytes()
    rename_principle(mini, "HON-01", "HON-02")
    assert not os.path.lexists(mini / "principles/HON-01.yaml")
    assert (shared / "HON-01.yaml").read_bytes() == before
    assert "HON-02" in load_root(mini).principles


def test_a_committed_journal_through_a_symlink_target_is_finished(mini: Path) -> None:
    shared = mini / "shared"
    shared.mkdir()
    os.replace(mini / CONST, shared / "constitution.yaml")
    (mini / CONST).symlink_to("../shared/constitution.yaml")
    import constitution_studio.core.storage.journal as journal

    original = journal._apply
    journal._apply = lambda root, record: (_ for _ in ()).throw(KeyboardInterrupt)  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            rename_principle(mini, "HON-01", "HON-02")
    finally:
        journal._apply = original  # type: ignore[assignment]
    assert recover(mini) is not None
    ws = load_root(mini)
    assert "HON-02" in ws.priority and (mini / CONST).is_symlink()
