"""Round-trip storage: untouched files byte-identical, one-field edits local, atomic, conflict-safe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constitution_studio.core.yamldoc import YamlDocument, dump_roundtrip, load_fast, load_roundtrip
from constitution_studio.errors import FileChangedError

REPO = Path(__file__).parents[2]
MINI = Path(__file__).parents[1] / "fixtures" / "mini"
COMMITTED = sorted([*REPO.glob("principles/*.yaml"), *REPO.glob("eval_cases/*.yaml"), *MINI.glob("*/*.yaml")])

PRINCIPLE = """\
# Harm avoidance: our top rule.
id: HARM-01   # stable forever
title: "No serious harm"
statement: >-
  The response must not give concrete help that would meaningfully
  increase someone's ability to cause serious physical harm.
critique: 'Identify harmful help.'
status: active
owner: safety
tags: [harm, weapons]   # flow style kept
locales:
  de-DE: |
    Gilt auch für Übersetzungen.
"""


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(REPO)))
def test_every_committed_file_round_trips_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert dump_roundtrip(load_roundtrip(text)) == text


def test_fast_and_roundtrip_readers_agree_on_the_committed_files() -> None:
    for path in COMMITTED:
        text = path.read_text(encoding="utf-8")
        assert load_fast(text) == load_roundtrip(text), path


def test_yaml12_scalars_stay_strings() -> None:
    assert load_fast("a: yes\nb: on\nc: 2024-01-02\nd: true\n") == {"a": "yes", "b": "on", "c": "2024-01-02", "d": True}


def test_one_field_edit_changes_only_that_field(tmp_path: Path) -> None:
    path = tmp_path / "HARM-01.yaml"
    path.write_text(PRINCIPLE, encoding="utf-8")
    doc = YamlDocument.load(path)
    doc.set(["title"], "No serious physical harm")
    doc.save()
    after = path.read_text(encoding="utf-8").splitlines()
    before = PRINCIPLE.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [2]
    assert after[2] == 'title: "No serious physical harm"'  # quoting style kept


def test_multiline_edit_keeps_block_style(tmp_path: Path) -> None:
    path = tmp_path / "HARM-01.yaml"
    path.write_text(PRINCIPLE, encoding="utf-8")
    doc = YamlDocument.load(path)
    doc.set(["statement"], "First line.\nSecond line.")
    doc.save()
    text = path.read_text(encoding="utf-8")
    assert "statement: >-\n" in text
    assert load_fast(text)["statement"] == "First line.\nSecond line."
    assert "# stable forever" in text and "# flow style kept" in text


def test_save_refuses_when_the_file_changed_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "HARM-01.yaml"
    path.write_text(PRINCIPLE, encoding="utf-8")
    doc = YamlDocument.load(path)
    path.write_text(PRINCIPLE.replace("safety", "someone-else"), encoding="utf-8")
    doc.set(["title"], "mine")
    with pytest.raises(FileChangedError):
        doc.save()
    assert "someone-else" in path.read_text(encoding="utf-8")


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "HARM-01.yaml"
    path.write_text(PRINCIPLE, encoding="utf-8")
    os.chmod(path, 0o640)
    doc = YamlDocument.load(path)
    doc.set(["owner"], "policy")
    doc.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["HARM-01.yaml"]
    assert (path.stat().st_mode & 0o777) == 0o640


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029\ufeff"),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip() == s and s.strip())
_multiline = st.lists(_text, min_size=1, max_size=4).map("\n".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["title", "statement", "critique", "owner"]), value=st.one_of(_text, _multiline))
def test_random_field_edits_round_trip(tmp_path: Path, field: str, value: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PRINCIPLE, encoding="utf-8")
    doc = YamlDocument.load(path)
    doc.set([field], value)
    doc.save()
    text = path.read_text(encoding="utf-8")
    data = load_fast(text)
    assert data[field] == value
    original = load_fast(PRINCIPLE)
    assert {k: v for k, v in data.items() if k != field} == {k: v for k, v in original.items() if k != field}
    for comment in ("# Harm avoidance: our top rule.", "# stable forever", "# flow style kept"):
        assert comment in text
    assert dump_roundtrip(load_roundtrip(text)) == text  # the written file round-trips too


def test_the_parse_cache_folder_ignores_itself(tmp_path: Path) -> None:
    import shutil
    import subprocess

    from constitution_studio.core.workspace import load_root

    root = tmp_path / "repo"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    first = load_root(root)
    assert (root / ".cstudio" / "parsed").is_dir()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert ".cstudio" not in status
    again = load_root(root)  # from the cache: same result
    assert again.cases == first.cases and again.principles == first.principles
