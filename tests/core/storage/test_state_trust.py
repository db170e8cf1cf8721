"""A planted `.cstudio/` is never trusted, and recovery only ever rolls a journal forward or back
when every target is where the journal expects it (audit of issue 11, defects 1 and 2)."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from fixtures.files import snapshot

from constitution_studio.cli import main
from constitution_studio.core.authoring import rename_principle
from constitution_studio.core.parsecache import _FORMAT, ParseCache
from constitution_studio.core.source import DirSource
from constitution_studio.core.statedir import MARKER, STATE_DIR, ensure_state_dir, state_dir_problem
from constitution_studio.core.storage.journal import JOURNAL, recover
from constitution_studio.core.workspace import load_root

CONST = "principles/constitution.yaml"
HARM = "principles/HARM-01.yaml"
CASES = "eval_cases/cases.yaml"


def _plant_journal(root: Path) -> None:
    """What an archive or a checkout owned by someone else can ship: a committed journal that
    replaces README.md at the root and deletes a case file."""
    (root / "README.md").write_text("the project's readme\n")
    state = root / STATE_DIR
    state.mkdir()
    txid = "0123456789ab"
    (root / f".README.md.{txid}.cstudio-tmp").write_text("owned\n")
    ops = [
        {"path": "README.md", "real": "README.md", "tmp": f".README.md.{txid}.cstudio-tmp", "new": "x", "old": None},
        {"path": CASES, "real": CASES, "tmp": None, "new": None, "old": None},
    ]
    (state / JOURNAL).write_text(json.dumps({"version": 2, "txid": txid, "state": "committed", "ops": ops}))


def _break_git(root: Path) -> None:
    """A `.git` git refuses to read (as with "dubious ownership": every git command fails)."""
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("garbage\n")


@pytest.mark.parametrize("git", ["none", "failing"])
def test_a_planted_journal_is_not_replayed_when_git_cannot_tell(
    mini: Path, capsys: pytest.CaptureFixture[str], git: str
) -> None:
    if git == "failing":
        _break_git(mini)
    _plant_journal(mini)
    before = snapshot(mini)
    code = main(["validate", "--root", str(mini)])
    err = capsys.readouterr().err
    assert code == 0
    assert (mini / "README.md").read_text() == "the project's readme\n"
    assert snapshot(mini) == before and (mini / CASES).exists()
    assert not (mini / STATE_DIR / JOURNAL).exists()  # not ours: set aside unread
    assert [p.name for p in (mini / STATE_DIR).glob("untrusted-*/journal.json")] == [JOURNAL]
    warnings = [line for line in err.splitlines() if STATE_DIR in line]
    assert len(warnings) == 1 and "unread" in warnings[0]
    assert state_dir_problem(mini) is None  # the folder is ours from now on


def test_a_planted_parse_cache_entry_cannot_change_what_loads(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (mini / HARM).write_text("id: HARM-01\ntitel: typo\n")
    entry = ParseCache(mini)._entry(HARM)
    entry.parent.mkdir(parents=True)
    fingerprint = DirSource(mini).fingerprint(HARM)
    planted = {"id": "HARM-01", "title": "Planted", "statement": "planted statement"}
    entry.write_bytes(marshal.dumps(((_FORMAT, fingerprint), planted)))
    assert main(["validate", "--root", str(mini)]) == 1
    assert "titel" in capsys.readouterr().out
    assert "planted statement" not in str(load_root(mini).principles)


def test_the_tools_own_state_folder_is_trusted_and_private(mini: Path) -> None:
    assert main(["validate", "--root", str(mini)]) == 0
    folder = mini / STATE_DIR
    assert (folder / MARKER).is_file() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert state_dir_problem(mini) is None


def test_a_copied_state_folder_is_not_trusted(mini: Path, tmp_path: Path) -> None:
    ensure_state_dir(mini)
    (mini / STATE_DIR / "review.json").write_text("{}")
    copy = tmp_path / "copy"
    shutil.copytree(mini, copy)
    assert state_dir_problem(mini) is None
    assert "mark" in str(state_dir_problem(copy))
    assert rename_principle(copy, "HARM-01", "HARM-09")  # a journalled write sets the copy's state aside
    assert list((copy / STATE_DIR).glob("untrusted-*/review.json")) and state_dir_problem(copy) is None


def test_a_tracked_or_foreign_state_folder_is_never_set_aside(mini: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=mini, check=True)
    _plant_journal(mini)
    subprocess.run(["git", "add", "-f", f"{STATE_DIR}/{JOURNAL}"], cwd=mini, check=True)
    assert main(["validate", "--root", str(mini)]) == 0
    assert (mini / STATE_DIR / JOURNAL).exists() and not list((mini / STATE_DIR).glob("untrusted-*"))
    assert (mini / "README.md").read_text() == "the project's readme\n" and (mini / CASES).exists()


def test_an_untracked_state_folder_in_an_unpacked_repository_is_not_trusted(mini: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=mini, check=True)
    _plant_journal(mini)
    assert "mark" in str(state_dir_problem(mini))
    assert recover(mini) is None
    assert (mini / "README.md").read_text() == "the project's readme\n" and (mini / CASES).exists()


def test_a_journal_in_our_own_folder_never_leaves_principles_and_eval_cases(mini: Path) -> None:
    ensure_state_dir(mini)
    before = snapshot(mini)
    (mini / "README.md").write_text("the project's readme\n")
    txid = "0123456789ab"
    (mini / f".README.md.{txid}.cstudio-tmp").write_text("owned\n")
    journal = {
        "version": 2,
        "txid": txid,
        "state": "committed",
        "ops": [{"path": "README.md", "real": "README.md", "tmp": f".README.md.{txid}.cstudio-tmp", "new": "x"}],
    }
    (mini / STATE_DIR / JOURNAL).write_text(json.dumps(journal))
    note = recover(mini)
    assert note is not None and "nothing was changed" in note
    assert (mini / "README.md").read_text() == "the project's readme\n" and snapshot(mini) == before


def _killed_after_first_replace(mini: Path, keep: int = 1) -> None:
    """A rename killed after its first `keep` files were replaced (the journal is `committed`)."""
    import constitution_studio.core.storage.journal as journal

    original = journal._apply

    def partial(root: Path, record: dict[str, object]) -> None:
        ops = record["ops"]
        assert isinstance(ops, list)
        original(root, {"ops": ops[:keep]})
        raise KeyboardInterrupt

    journal._apply = partial  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            rename_principle(mini, "HARM-01", "HARM-09")
    finally:
        journal._apply = original  # type: ignore[assignment]


def test_a_journal_is_set_aside_when_its_targets_were_restored(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """kill during rename, then `git checkout -- .`: the old files are back, one new file is left."""
    before = snapshot(mini)
    _killed_after_first_replace(mini, keep=3)  # the new file, the constitution, the case file
    for rel, data in before.items():  # what `git checkout -- .` does
        (mini / rel).write_bytes(data)
    mid = {rel: data for rel, data in snapshot(mini).items() if not rel.endswith(".cstudio-tmp")}
    code = main(["validate", "--root", str(mini)])
    err = capsys.readouterr().err
    assert snapshot(mini) == mid  # every file as it was; the abandoned write's temps are gone
    assert "not finished or undone" in err and "nothing was changed" in err and CONST in err
    assert (mini / STATE_DIR / f"{JOURNAL}.bad").exists() and not (mini / STATE_DIR / JOURNAL).exists()
    assert code in (0, 1)


def test_a_manual_edit_after_a_kill_is_never_overwritten(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _killed_after_first_replace(mini)
    edited = (mini / CASES).read_bytes() + b"# a teammate's edit\n"
    (mini / CASES).write_bytes(edited)
    note = recover(mini)
    assert note is not None and "changed since" in note and CASES in note
    assert (mini / CASES).read_bytes() == edited


def test_a_partly_applied_journal_is_finished_when_untouched(mini: Path) -> None:
    _killed_after_first_replace(mini)
    note = recover(mini)
    assert note is not None and note.startswith("finished")
    ws = load_root(mini)
    assert ws.errors == [] and "HARM-09" in ws.principles and "HARM-01" not in ws.principles
    assert not [p for p in mini.rglob("*") if "cstudio-tmp" in p.name]
    assert os.listdir(mini / STATE_DIR).count(JOURNAL) == 0


def test_without_a_place_for_the_key_state_is_not_used(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No writable home: a journal could never be recognised again, so none is written there."""
    blocked = tmp_path / "state-home"
    blocked.write_text("a file, not a folder")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    before = snapshot(mini)
    assert main(["rename", "HARM-01", "HARM-09", "--root", str(mini)]) == 2
    assert "key" in capsys.readouterr().err
    assert snapshot(mini) == before and not (mini / STATE_DIR / JOURNAL).exists()
    assert main(["move", "HON-01", "--to", "1", "--root", str(mini)]) == 0  # single-file writes still work
