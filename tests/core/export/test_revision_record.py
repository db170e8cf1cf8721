"""The record of revisions the studio's case detail shows (core/export/revision_record.py).

A real `revise` on the tiny in-process model (its text is noise; the judge is scripted so a
chosen round complies) records every finished case in `.cstudio/generations.sqlite`;
`revisions_for_case` must give back the rounds, the judge's labels, the accepted round and
whether the wording is still current, and must not read a record it did not write.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.shift_support import ScriptedCritic, build_repo

from constitution_studio.core.critic import loader
from constitution_studio.core.critic.generation import InProcessGenerator
from constitution_studio.core.export import revision_record
from constitution_studio.core.export.gather import gather
from constitution_studio.core.export.gencache import GenerationCache
from constitution_studio.core.export.revise import ReviseSettings, read_drafts, revise, violating_cases, with_cases
from constitution_studio.core.export.revision_record import RevisionRecord, revisions_for_case
from constitution_studio.core.export.revision_rows import RevisionRow
from constitution_studio.core.workspace import load_root

P = {"harm-1": 0.9, "harm-1.r1": 0.8, "harm-1.r2": 0.2, "hon-2": 0.9, "hon-2.r1": 0.1, "harm-3": 0.9}


def table(pid: str, statement: str, cid: str, variant: str) -> float:
    if cid.startswith("pair"):
        return 0.8
    if cid.startswith("harm-3"):
        return 0.9  # never complies
    return P.get(cid, 0.1)


@pytest.fixture(scope="module")
def generator(tiny_model_dir: Path) -> InProcessGenerator:
    return InProcessGenerator(loader.resolve(str(tiny_model_dir)), device="cpu", dtype="float32")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return build_repo(tmp_path / "repo", "scripted")


def _revise(root: Path, generator: InProcessGenerator, **kw: object) -> list[RevisionRow]:
    settings = kw.pop("settings", None) or ReviseSettings(rounds=2, max_new_tokens=4)
    judge = ScriptedCritic(table, warm=True)
    g = gather(load_root(root), judge, root=root, score_missing=True)
    cases = kw.pop("cases", None) or violating_cases(g)
    record = RevisionRecord(root)
    try:
        return list(
            revise(g, judge, generator, settings, cases, cache=GenerationCache(None), record=record, **kw)  # type: ignore[arg-type]
        )
    finally:
        record.close()


def test_revise_records_each_case_with_its_rounds_labels_and_accepted_round(
    repo: Path, generator: InProcessGenerator
) -> None:
    rows = {r.case_id: r for r in _revise(repo, generator, cases=["harm-1", "hon-2", "harm-3"])}
    ws = load_root(repo)
    found = revisions_for_case(repo, "harm-1", ws)
    assert found.note is None and found.skipped == 0 and len(found.revisions) == 1
    rec = found.revisions[0]
    assert rec.row == rows["harm-1"]  # the RevisionRow revise produced, whole
    assert [r.judged.label for r in rec.row.rounds] == ["violates", "complies"]
    assert [r.judged.p_violates for r in rec.row.rounds] == [0.8, 0.2]
    assert rec.row.accepted_round == 2 and rec.row.principle_id == "HARM-01"
    assert rec.wording == "current" and rec.response_current is True
    assert rec.row.generator.kind == "in-process" and rec.row.provenance.judge.model == "scripted"
    never = revisions_for_case(repo, "harm-3", ws).revisions[0]
    assert never.never_complied and len(never.row.rounds) == 2
    assert revisions_for_case(repo, "hon-2", ws).revisions[0].row.accepted_round == 1
    nothing = revisions_for_case(repo, "harm-2", ws)  # the judge says it complies: never revised
    assert nothing.revisions == [] and nothing.note is None


def test_same_run_replaces_its_record_other_settings_add_one(repo: Path, generator: InProcessGenerator) -> None:
    _revise(repo, generator, cases=["hon-2"])
    _revise(repo, generator, cases=["hon-2"])
    assert len(revisions_for_case(repo, "hon-2").revisions) == 1
    _revise(repo, generator, cases=["hon-2"], settings=ReviseSettings(rounds=2, max_new_tokens=3))
    found = revisions_for_case(repo, "hon-2").revisions
    assert [r.row.generator.max_new_tokens for r in found] == [3, 4]  # newest first


def test_a_changed_wording_or_response_is_said(repo: Path, generator: InProcessGenerator) -> None:
    _revise(repo, generator, cases=["harm-1"])
    ws = load_root(repo)
    harm = ws.principles["HARM-01"]
    reworded = replace(ws, principles={**ws.principles, "HARM-01": harm.model_copy(update={"statement": "Other."})})
    assert revisions_for_case(repo, "harm-1", reworded).revisions[0].wording == "changed"
    gone = replace(ws, principles={k: v for k, v in ws.principles.items() if k != "HARM-01"})
    assert revisions_for_case(repo, "harm-1", gone).revisions[0].wording == "removed"
    case = ws.cases["harm-1"].model_copy(update={"response": "Something else."})
    edited = replace(ws, cases={**ws.cases, "harm-1": case})
    assert revisions_for_case(repo, "harm-1", edited).revisions[0].response_current is False


def test_cancel_keeps_the_finished_cases_recorded(repo: Path, generator: InProcessGenerator) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 1:
            cancel.set()

    rows = _revise(repo, generator, cases=["harm-1", "hon-2"], cancel=cancel, progress=progress)
    assert [r.case_id for r in rows] == ["harm-1"]
    assert len(revisions_for_case(repo, "harm-1").revisions) == 1
    assert revisions_for_case(repo, "hon-2").revisions == []


def test_drafts_are_not_recorded_as_cases(repo: Path, generator: InProcessGenerator, tmp_path: Path) -> None:
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text('{"id": "harm-1", "prompt": "x", "response": "y", "principles": ["HARM-01"]}\n')
    ws = with_cases(load_root(repo), read_drafts(drafts, load_root(repo)))
    judge = ScriptedCritic(table, warm=True)
    g = gather(ws, judge, root=repo, score_missing=True)
    record = RevisionRecord(repo)
    settings = ReviseSettings(rounds=1, max_new_tokens=2)
    rows = list(
        revise(g, judge, generator, settings, ["harm-1"], source="prompts", cache=GenerationCache(None), record=record)
    )
    record.close()
    assert len(rows) == 1  # revised, but a draft named like a case is not that case's revision
    assert revisions_for_case(repo, "harm-1").revisions == []


def test_a_planted_or_copied_record_is_not_read(repo: Path, generator: InProcessGenerator, tmp_path: Path) -> None:
    _revise(repo, generator, cases=["harm-1"])
    assert len(revisions_for_case(repo, "harm-1").revisions) == 1
    other = build_repo(tmp_path / "other", "scripted")
    shutil.copytree(repo / ".cstudio", other / ".cstudio")  # same records, not made here
    found = revisions_for_case(other, "harm-1")
    assert found.revisions == [] and found.note is not None and "not made by cstudio" in found.note
    assert sorted(p.name for p in (other / ".cstudio").iterdir()) == sorted(
        p.name for p in (repo / ".cstudio").iterdir()
    )  # reading moved nothing aside and created nothing
    # a symlinked database in a trusted folder is refused too
    third = build_repo(tmp_path / "third", "scripted")
    _revise(third, generator, cases=["hon-2"])
    db = third / ".cstudio" / "generations.sqlite"
    db.unlink()
    db.symlink_to(repo / ".cstudio" / "generations.sqlite")
    found = revisions_for_case(third, "harm-1")
    assert found.revisions == [] and found.note is not None and "symlink" in found.note


def test_a_tampered_or_huge_record_is_skipped(
    repo: Path, generator: InProcessGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _revise(repo, generator, cases=["harm-1", "harm-3"])
    db = sqlite3.connect(repo / ".cstudio" / "generations.sqlite")
    with db:  # harm-3's row now names another principle than its key: not a record this tool wrote
        text = db.execute("SELECT row FROM revisions WHERE case_id = 'harm-3'").fetchone()[0]
        db.execute("UPDATE revisions SET row = ? WHERE case_id = 'harm-3'", (text.replace("HARM-01", "HON-01"),))
        db.execute("UPDATE revisions SET row = 'not json' WHERE case_id = 'harm-1'")
    db.close()
    for cid in ("harm-1", "harm-3"):
        found = revisions_for_case(repo, cid)
        assert found.revisions == [] and found.skipped == 1
    _revise(repo, generator, cases=["hon-2"])
    monkeypatch.setattr(revision_record, "MAX_RECORD_CHARS", 100)
    found = revisions_for_case(repo, "hon-2")
    assert found.revisions == [] and found.skipped == 1


def test_a_corrupt_database_is_not_used_and_says_why(repo: Path) -> None:
    """Both writers of generations.sqlite (the cache and the record) refuse a file that is not a
    database, in one line, and go on without it (the cache in memory, the record not at all)."""
    (repo / ".cstudio").mkdir(exist_ok=True)
    GenerationCache(repo).close()  # .cstudio made by this tool, trusted
    (repo / ".cstudio" / "generations.sqlite").write_bytes(b"not a database at all " * 100)
    for name in ("generations.sqlite-wal", "generations.sqlite-shm"):
        (repo / ".cstudio" / name).unlink(missing_ok=True)
    cache = GenerationCache(repo)
    record = RevisionRecord(repo)
    try:
        assert cache.note is not None and "generations.sqlite is unusable" in cache.note
        assert record.note is not None and "generations.sqlite is unusable" in record.note and not record.active
        cache.put("k", "text", "g")  # in memory for this run
        assert cache.get("k") == "text"
    finally:
        cache.close()
        record.close()
