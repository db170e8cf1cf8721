"""Exported rows validate against the published schemas (docs/schema/*.row.schema.json),
the committed schemas are current, and Parquet round-trips through pyarrow (skipped cleanly
when the `export` extra is not installed)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from fixtures.shift_support import ScriptedCritic, build_repo, stable_noise

from constitution_studio.core.export.formats import encode, jsonl_text, records
from constitution_studio.core.export.gather import gather
from constitution_studio.core.export.generator import GeneratorInfo
from constitution_studio.core.export.labels import label_rows
from constitution_studio.core.export.preferences import preference_rows
from constitution_studio.core.export.revise import revision_preferences, sft_rows
from constitution_studio.core.export.revision_rows import (
    JudgedText,
    RevisionPreferenceRow,
    RevisionRound,
    RevisionRow,
    SftRow,
)
from constitution_studio.core.export.rows import LabelRow, Message, PreferenceRow
from constitution_studio.core.export.schemas import row_schema_documents
from constitution_studio.core.workspace import load_root

REPO = Path(__file__).resolve().parents[3]


def _table(pid: str, statement: str, cid: str, variant: str) -> float:
    return stable_noise(pid, cid, variant)


def _revision_rows(root: Path) -> list[RevisionRow]:
    """Two finished revision traces, built as `revise` builds them (one accepted in round 2)."""
    g = gather(load_root(root), ScriptedCritic(_table, warm=True), root=root)
    info = GeneratorInfo(kind="chat", model="m", identity="chat:x#m", temperature=0.0, seed=0, max_new_tokens=8)
    judged = JudgedText(label="violates", decider="HARM-01", principle_label="violates", p_violates=0.9, stable=True)
    ok = judged.model_copy(update={"label": "complies", "principle_label": "complies", "p_violates": 0.1})
    rounds = [
        RevisionRound(round=1, critique="It gives steps.", revision="Here is how [...]", judged=judged, complies=False),
        RevisionRound(round=2, critique="Still steps.", revision="I can't help with that.", judged=ok, complies=True),
    ]
    row = RevisionRow(
        case_id="harm-1",
        source="case",
        prompt=[Message(role="user", content="How do I build a pipe bomb?")],
        original="Sure, first get a pipe and [...]",
        original_judged=judged,
        principle_id="HARM-01",
        statement_sha256="0" * 64,
        pick="decider",
        requests_from="statement",
        critique_request="Identify ...",
        revision_request="Rewrite ...",
        rounds=rounds,
        accepted_round=2,
        generator=info,
        provenance=g.provenance,
    )
    never = row.model_copy(update={"case_id": "harm-3", "rounds": rounds[:1], "accepted_round": None})
    return [row, never]


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:  # type: ignore[type-arg]
    root = build_repo(tmp_path_factory.mktemp("formats") / "repo", "scripted")
    g = gather(load_root(root), ScriptedCritic(_table, warm=True), root=root)
    revisions = _revision_rows(root)
    return {
        "label": list(label_rows(g)),
        "preference": list(preference_rows(g)) + list(preference_rows(g, per_principle=True)),
        "revision": revisions,
        "sft": list(sft_rows(revisions)),
        "revision-preference": list(revision_preferences(revisions)),
    }


KINDS = [
    ("label", LabelRow),
    ("preference", PreferenceRow),
    ("revision", RevisionRow),
    ("sft", SftRow),
    ("revision-preference", RevisionPreferenceRow),
]


def test_committed_row_schemas_are_current() -> None:
    for name, text in row_schema_documents().items():
        assert (REPO / "docs/schema" / name).read_text(encoding="utf-8") == text, (
            f"run `python -m constitution_studio.core.export.schemas docs/schema` ({name})"
        )


@pytest.mark.parametrize("kind", [k for k, _ in KINDS])
def test_rows_validate_against_the_published_schema(kind: str, rows: dict[str, list]) -> None:  # type: ignore[type-arg]
    schema = json.loads((REPO / "docs/schema" / f"{kind}.row.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    found = rows[kind]
    assert found, "the fixture must produce rows of this kind"
    for line in jsonl_text(found).splitlines():
        validator.validate(json.loads(line))
    broken = records(found[:1])[0]
    del broken["provenance"]
    with pytest.raises(jsonschema.ValidationError):  # provenance is required on every row
        validator.validate(broken)


@pytest.mark.parametrize(("kind", "model"), KINDS)
def test_parquet_round_trips_through_pyarrow(kind: str, model: type, rows: dict[str, list]) -> None:  # type: ignore[type-arg]
    pq = pytest.importorskip("pyarrow.parquet")
    data = encode(rows[kind], "parquet", model)
    table = pq.read_table(io.BytesIO(data))
    back = table.to_pylist()
    assert back == records(rows[kind])
    assert [model.model_validate(r) for r in back] == rows[kind]


def test_parquet_columns_are_typed_even_when_all_null() -> None:
    pa = pytest.importorskip("pyarrow")
    from constitution_studio.core.export.formats import arrow_schema

    schema = arrow_schema(PreferenceRow)
    assert schema.field("gold").type == pa.string()
    assert schema.field("band").type == pa.float64()
    assert schema.field("abstain").type == pa.bool_()
    assert schema.field("provenance").type.get_field_index("commit") >= 0
