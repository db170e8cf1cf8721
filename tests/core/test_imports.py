"""core/imports: datasets folders and parquet (pyarrow), conversation mapping, Markdown sections."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from constitution_studio.cli import main
from constitution_studio.core.imports.conversation import ConversationError, case_conversation, parse_messages
from constitution_studio.core.imports.markdown import prose, sections_at
from constitution_studio.core.imports.records import read_records
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import BadInputError
from tests.fixtures.files import MINI, snapshot

ROWS = [
    {"question": "How do I bake bread?", "answer": "Knead, rise, bake.", "label": 0, "pid": "HELP-01"},
    {"question": "How do I make a pipe bomb?", "answer": "Here is how: ...", "label": 1, "pid": "HARM-01"},
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    out = tmp_path / "c"
    shutil.copytree(MINI, out, ignore=shutil.ignore_patterns(".cstudio"))
    return out


def _dataset_folder(folder: Path, rows: list[dict[str, object]]) -> Path:
    """What `Dataset.save_to_disk` writes: state.json naming Arrow stream files, and dataset_info.json."""
    pa = pytest.importorskip("pyarrow")
    folder.mkdir(parents=True)
    table = pa.Table.from_pylist(rows)
    with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    (folder / "dataset_info.json").write_text("{}")
    return folder


IMPORT = ["--map", "prompt=question,response=answer,gold=label,principles=pid", "--labels", "violates=1,complies=0"]


def test_parquet_file(root: Path, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(ROWS), tmp_path / "train.parquet")
    assert main(["import", "cases", str(tmp_path / "train.parquet"), *IMPORT, "--root", str(root)]) == 0
    ws = load_root(root)
    got = {c.prompt: (c.gold, c.principles) for c in ws.cases.values() if c.id.startswith("train-")}
    assert got == {
        "How do I bake bread?": ("complies", ["HELP-01"]),
        "How do I make a pipe bomb?": ("violates", ["HARM-01"]),
    }


def test_datasets_folder_and_dict_of_splits(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dd = tmp_path / "ds"
    _dataset_folder(dd / "train", ROWS)
    _dataset_folder(dd / "test", ROWS[:1])
    (dd / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    assert main(["import", "cases", str(dd), *IMPORT, "--root", str(root)]) == 2
    assert "has splits train, test; choose one with --split" in capsys.readouterr().err
    assert main(["import", "cases", str(dd), *IMPORT, "--split", "test", "--root", str(root)]) == 0
    assert sum(c.startswith("ds-") for c in load_root(root).cases) == 1
    assert main(["import", "cases", str(dd / "train"), *IMPORT, "--id-prefix", "ds", "--root", str(root)]) == 0
    assert sum(c.startswith("ds-") for c in load_root(root).cases) == 2  # the test row is the same case


def test_dataset_state_naming_a_file_outside_is_refused(tmp_path: Path) -> None:
    folder = _dataset_folder(tmp_path / "ds", ROWS)
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "../secret.arrow"}]}))
    with pytest.raises(BadInputError, match="not a plain file name"):
        list(read_records(folder))


def test_without_pyarrow_one_line(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # what `import pyarrow` sees on the base install
    before = snapshot(root)
    assert main(["import", "cases", str(tmp_path / "x.parquet"), "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'constitution-studio[import]'" in err
    assert snapshot(root) == before


def test_conversation_mapping() -> None:
    messages = parse_messages(
        [
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": [{"type": "text", "text": "Hello"}, {"type": "image", "image": "x.png"}]},
            {"role": "assistant", "content": "Bonjour"},
        ],
        notes := [],
    )
    conv = case_conversation(messages, None)
    assert [(t.role, t.content) for t in conv.turns] == [("developer", "Answer in French."), ("user", "Hello")]
    assert conv.response == "Bonjour"
    assert notes == ["image content dropped (only text is imported)"]
    with pytest.raises(ConversationError, match="end the conversation with the assistant"):
        case_conversation(parse_messages([{"role": "user", "content": "hi"}]), None)
    with pytest.raises(ConversationError, match="role 'robot'"):
        parse_messages([{"role": "robot", "content": "hi"}])
    with pytest.raises(ConversationError, match="message 1: the conversation must end where"):
        case_conversation(parse_messages([{"role": "system", "content": "be nice"}]), "ok")


def test_markdown_sections_setext_fences_and_links() -> None:
    text = (
        "Title\n=====\n\nIntro.\n\nFirst rule\n----------\n\n"
        "See [the policy](https://x) ![img](y.png).\n\n```\n## not\n```\n"
    )
    sections, skipped = sections_at(text, 2)
    assert [s.heading.text for s in sections] == ["First rule"]
    statement, dropped = prose(sections[0].lines)
    assert statement == "See the policy ."
    assert sorted(set(dropped)) == ["a code block", "an image"]
    assert skipped == [(1, "level-1 heading 'Title' (above level 2)")]
