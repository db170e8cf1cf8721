"""Turns with roles: system, developer, tool turns and tool calls validate, hash and round-trip."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from constitution_studio.core.case_authoring import draft_of, update_case, validate_case
from constitution_studio.core.conversation import Turn, tool_names
from constitution_studio.core.models import EvalCase
from constitution_studio.core.schema import schema_documents
from constitution_studio.core.workspace import load_root
from constitution_studio.core.yamldoc import dump_roundtrip, load_fast, load_roundtrip

FIXTURES = Path(__file__).parents[1] / "fixtures"
MINI = FIXTURES / "mini"
ROLES = FIXTURES / "roles" / "agentic.yaml"
REPO = Path(__file__).parents[2]
AGENTIC = "eval_cases/agentic.yaml"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "c"
    shutil.copytree(MINI, target)
    shutil.copy(ROLES, target / AGENTIC)
    return target


def _case(prompt: Any, **more: Any) -> EvalCase:
    return EvalCase.model_validate({"id": "x", "principles": ["A-01"], "prompt": prompt, "response": "r", **more})


def test_cases_with_system_developer_and_tool_turns_validate_clean(root: Path) -> None:
    ws = load_root(root)
    assert [f.format() for f in ws.findings] == []
    sys_case, tool_case, pair = ws.cases["sys-001"], ws.cases["tool-001"], ws.cases["tool-002"]
    assert [t.role for t in sys_case.turns] == ["system", "developer", "user"]
    assert [t.role for t in tool_case.turns] == ["system", "user", "assistant", "tool"]
    call = tool_case.turns[2].tool_calls
    assert call is not None and call[0].call_text() == 'lookup_order({"order": 7})'
    assert tool_case.turns[3].call_id == "call_1" and tool_case.turns[3].name == "lookup_order"
    # a tool turn without `name` is named after its call; string arguments are kept as written
    assert tool_names(pair.turns) == [None, None, None, "lookup_order"]
    pair_calls = pair.turns[2].tool_calls
    assert pair_calls is not None and pair_calls[0].arguments_text() == '{"order": 9}'
    assert pair.turns[2].content == "" and pair.kind == "pair"


def test_the_roles_fixture_round_trips_byte_for_byte() -> None:
    text = ROLES.read_text(encoding="utf-8")
    assert dump_roundtrip(load_roundtrip(text)) == text
    assert load_fast(text) == load_roundtrip(text)


# Hashes of the existing cases as computed before turns had roles (main at a6466bb): the
# critic's cache keys and the engagement keys are built on them, so they must not move.
REPO_CASES_DIGEST = "c7122664ff4545f1cd2271a68947f3ccf4f65be7763f0aa65f914841e23b67be"
MINI_CASES_DIGEST = "80ae83058401114aa1004c06ae9071cf60f2c7e4f74bb70010248fe4ccc2f61f"
PAIR_001 = (
    "420950a9c19781741eae634942eecbf32bfd594f1c784ec0dd7646a3a0e5b695",
    "e469842838720f98c9514efa0e4587aae98a18fbb9e24e2ec58f10ddb7a83a33",
)


def _digest(root: Path) -> str:
    ws = load_root(root)
    rows = sorted((c.id, c.content_hash(), c.prompt_hash()) for c in ws.cases.values())
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_existing_cases_keep_their_hashes() -> None:
    assert _digest(REPO) == REPO_CASES_DIGEST
    assert _digest(MINI) == MINI_CASES_DIGEST
    pair = load_root(MINI).cases["pair-001"]  # a multi-turn user/assistant prompt
    assert (pair.content_hash(), pair.prompt_hash()) == PAIR_001


def test_hashes_see_every_turn_and_tool_key() -> None:
    base = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "U"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "name": "f", "arguments": {"q": 1}}]},
        {"role": "tool", "call_id": "c1", "content": "R"},
    ]
    case = _case(base)
    keys = {(case.prompt_hash(), case.content_hash())}

    def changed(index: int, **values: Any) -> None:
        turns = [dict(t) for t in base]
        turns[index].update(values)
        other = _case(turns)
        assert other.prompt_hash() != case.prompt_hash(), values
        assert other.content_hash() != case.content_hash(), values
        keys.add((other.prompt_hash(), other.content_hash()))

    changed(0, role="developer")
    changed(0, content="S2")
    changed(2, tool_calls=[{"id": "c1", "name": "f", "arguments": {"q": 2}}])
    changed(2, tool_calls=[{"id": "c1", "name": "g", "arguments": {"q": 1}}])
    changed(2, content="calling")
    changed(3, name="f")
    changed(3, content="R2")
    assert len(keys) == 8
    # the system turn is what the engagement key adds: without it the key is the plain request's
    assert _case(base[1:2]).prompt_hash() == _case("U").prompt_hash() != _case(base[:2]).prompt_hash()
    # mapping and JSON-text arguments that read the same are the same call
    as_text = [*base[:2], {"role": "assistant", "tool_calls": [{"id": "c1", "name": "f", "arguments": '{"q": 1}'}]}]
    assert _case([*as_text, base[3]]).content_hash() == case.content_hash()


@pytest.mark.parametrize(
    ("turns", "code", "index", "word"),
    [
        ([{"role": "user", "content": "u"}, {"role": "tool", "content": "r"}], "tool-turn", 1, "answers none"),
        (
            [
                {"role": "user", "content": "u"},
                {"role": "assistant", "tool_calls": [{"id": "a", "name": "f"}, {"id": "b", "name": "g"}]},
                {"role": "tool", "content": "r"},
            ],
            "tool-turn",
            2,
            "call_id",
        ),
        (
            [
                {"role": "user", "content": "u"},
                {"role": "assistant", "tool_calls": [{"id": "a", "name": "f"}]},
                {"role": "tool", "call_id": "zz", "content": "r"},
            ],
            "tool-turn",
            2,
            "zz",
        ),
        (
            [
                {"role": "user", "content": "u"},
                {"role": "assistant", "tool_calls": [{"id": "a", "name": "f"}]},
                {"role": "user", "content": "never mind"},
                {"role": "tool", "call_id": "a", "content": "late"},
            ],
            "tool-turn",
            3,
            "answers none",
        ),
        (
            [
                {"role": "user", "content": "u"},
                {"role": "assistant", "tool_calls": [{"id": "a", "name": "f"}]},
                {"role": "tool", "name": "g", "content": "r"},
            ],
            "tool-turn",
            2,
            "differs",
        ),
        ([{"role": "system", "content": "s"}, {"role": "developer", "content": "d"}], "prompt-turns", 1, "developer"),
        ([{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}], "prompt-turns", 1, "assistant"),
    ],
)
def test_conversation_rules(turns: list[dict[str, Any]], code: str, index: int, word: str) -> None:
    with pytest.raises(ValidationError) as info:
        _case(turns)
    (error,) = info.value.errors()
    assert error["type"] == code and error["ctx"]["turn"] == index
    assert word in error["msg"]


@pytest.mark.parametrize(
    ("turn", "word"),
    [
        ({"role": "user", "content": "u", "call_id": "a"}, "tool turn"),
        ({"role": "user", "content": "u", "tool_calls": []}, "assistant turn"),
        ({"role": "user"}, "content"),
        ({"role": "assistant"}, "content"),
    ],
)
def test_keys_must_fit_the_role(turn: dict[str, Any], word: str) -> None:
    with pytest.raises(ValidationError) as info:
        Turn.model_validate(turn)
    assert word in str(info.value)


def test_editing_a_case_with_tool_turns_keeps_them(root: Path) -> None:
    before = (root / AGENTIC).read_text(encoding="utf-8")
    ws = load_root(root)
    for cid in ("tool-001", "tool-002", "sys-001"):
        draft = draft_of(ws.cases[cid])
        assert validate_case(draft, ws, cid) == {}
        update_case(root, AGENTIC, cid, draft)  # nothing changed: nothing is rewritten
    assert (root / AGENTIC).read_text(encoding="utf-8") == before
    draft = draft_of(ws.cases["tool-001"])
    turns = list(draft.turns)
    turns[3] = ("tool", '{"status": "lost"}')  # the tool result's text, as the form edits it
    update_case(root, AGENTIC, "tool-001", draft.with_(turns=tuple(turns), gold="violates"))
    after = (root / AGENTIC).read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [
        ('        content: \'{"status": "shipped", "eta": "Friday"}\'', '        content: \'{"status": "lost"}\''),
        ("    gold: complies", "    gold: violates"),
    ]
    case = load_root(root).cases["tool-001"]
    assert case.turns[3].call_id == "call_1" and case.gold == "violates"


def test_a_new_tool_turn_typed_in_the_form_is_a_tool_turn_finding(root: Path) -> None:
    ws = load_root(root)
    draft = draft_of(ws.cases["sys-001"])
    draft = draft.with_(turns=(*draft.turns, ("tool", "a result from nowhere")))
    problems = validate_case(draft, ws, "sys-001")
    assert problems["turns"][0] == "tool-turn"


def test_the_editor_schema_takes_the_roles_and_refuses_an_unknown_one() -> None:
    import jsonschema

    schema = json.loads(schema_documents()["eval_cases.schema.json"])
    validator = jsonschema.Draft202012Validator(schema)
    data = load_fast(ROLES.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(data)) == []
    data["cases"][0]["prompt"][0]["role"] = "operator"
    assert any("operator" in e.message for e in validator.iter_errors(data))


def test_a_copy_with_other_turns_hashes_them() -> None:
    case = _case([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
    key, engage = case.content_hash(), case.prompt_hash()
    bare = case.model_copy(update={"prompt": [Turn(role="user", content="U")]})
    assert bare.content_hash() == _case("U").content_hash() != key
    assert bare.prompt_hash() != engage
    relabelled = case.model_copy(update={"gold": "violates"})  # labels are not hashed: keys kept
    assert (relabelled.content_hash(), relabelled.prompt_hash()) == (key, engage)
