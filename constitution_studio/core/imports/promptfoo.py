"""promptfoo test files as records: vars, and the assertions that say something about a fixed answer.

Accepted: a YAML/JSON list of tests, a config with `tests:` (and `defaultTest:`, merged into
each test as promptfoo does), or a promptfoo CSV (columns are vars; `__expected`,
`__description` and `__metadata:KEY` columns). Each test becomes one record:

* `prompt`: the var named `prompt`, `query`, `question`, `input` or `message`, or the only
  var (`--map prompt=vars.NAME` picks another);
* `response` and `gold`: an `equals` assertion's value is an answer the test accepts
  (gold `complies`), a `not-equals` value one it refuses (`violates`);
* `note`: the description, and the rubric of model-graded assertions (`llm-rubric`, `g-eval`, ...);
* `vars.*`, `metadata.*`, `description` stay reachable for `--map`.

What does not map is counted in the report: assertions that test a model's live output
(`contains`, `regex`, `javascript`, `similar`, `cost`, ...), thresholds, providers, options
and prompt templates (the case's prompt is the var itself, not the rendered template). A
`file://` value is never followed: the record is refused with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from constitution_studio.core.imports.records import (
    Record,
    check_input,
    display,
    list_records,
    read_csv,
    read_yaml,
)
from constitution_studio.errors import BadInputError

PROMPT_VARS = ("prompt", "query", "question", "input", "message")
RUBRICS = ("llm-rubric", "model-graded-closedqa", "g-eval", "factuality", "answer-relevance", "select-best")
ANSWERS = {"equals": "complies", "not-equals": "violates"}
DEFAULTS = {"prompt": "prompt", "response": "response", "gold": "gold", "note": "note"}
UNMAPPED_KEYS = ("options", "threshold", "provider", "providerOutput")


def _merge(default: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    out = {**default, **test}
    out["vars"] = {**(default.get("vars") or {}), **(test.get("vars") or {})}
    out["assert"] = [*(default.get("assert") or []), *(test.get("assert") or [])]
    out["metadata"] = {**(default.get("metadata") or {}), **(test.get("metadata") or {})}
    return out


def _from_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    test: dict[str, Any] = {"vars": {}, "assert": [], "metadata": {}}
    for key, value in row.items():
        if key.startswith("__expected"):
            if value.strip():
                kind, sep, rest = value.partition(":")
                known = sep and kind.strip() in (*ANSWERS, *RUBRICS, "contains", "icontains", "regex", "javascript")
                test["assert"].append(
                    {"type": kind.strip(), "value": rest.strip()} if known else {"type": "equals", "value": value}
                )
        elif key == "__description":
            test["description"] = value
        elif key.startswith("__metadata:"):
            test["metadata"][key.split(":", 1)[1]] = value
        elif not key.startswith("__"):
            test["vars"][key] = value
    return test


def _tests(path: Path) -> tuple[list[Record], list[str]]:
    name = display(path)
    notes: list[str] = []
    if path.suffix.lower() == ".csv":
        return [Record(r.where, _from_csv_row(r.data)) for r in read_csv(path)], notes
    data = read_yaml(path)  # JSON is YAML: one safe loader for both
    default: dict[str, Any] = {}
    if isinstance(data, dict):
        if "prompts" in data:
            notes.append("prompts: templates are not rendered; a case's prompt is the test's var")
        if "providers" in data:
            notes.append("providers: not used (a case judges a fixed response, not a model's live output)")
        default = data.get("defaultTest") or {}
        if not isinstance(default, dict):
            raise BadInputError(f"{name}: `defaultTest` is not a mapping (a file:// reference is not followed)")
        tests = data.get("tests")
        if isinstance(tests, str | list) and any(
            isinstance(t, str) for t in ([tests] if isinstance(tests, str) else tests)
        ):
            raise BadInputError(f"{name}: `tests` refers to other files, which are not followed; import each test file")
        if not isinstance(tests, list):
            raise BadInputError(f"{name}: no `tests:` list")
        data = tests
    return [Record(r.where, _merge(default, r.data)) for r in list_records(data, name)], notes


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _record(test: dict[str, Any], notes: list[str]) -> dict[str, Any] | str:
    """The record of one test, or why it is refused."""
    given = test.get("vars")
    variables: dict[str, Any] = given if isinstance(given, dict) else {}
    for key, value in variables.items():
        if isinstance(value, str) and value.strip().startswith("file://"):
            return f"vars.{key} refers to a file ({value.strip()[:60]}); not followed"
        if isinstance(value, list):
            return f"vars.{key} is a list (promptfoo runs one test per value); not expanded"
    prompt = next((variables[k] for k in PROMPT_VARS if k in variables), None)
    if prompt is None and len(variables) == 1:
        prompt = next(iter(variables.values()))
    record: dict[str, Any] = {**test, "prompt": prompt}
    note = [_text(test.get("description"))]
    for item in test.get("assert") or []:
        kind = str(item.get("type", "")) if isinstance(item, dict) else ""
        value = item.get("value") if isinstance(item, dict) else None
        if kind in ANSWERS and isinstance(value, str) and "response" not in record:
            record["response"], record["gold"] = value, ANSWERS[kind]
        elif kind in RUBRICS and isinstance(value, str):
            note.append(f"{kind}: {value}")
        else:
            notes.append(f"assertion {kind or '(no type)'} not mapped (it checks a model's live output)")
    for key in UNMAPPED_KEYS:
        if key in test:
            notes.append(f"test `{key}` not mapped")
    record["note"] = "\n".join(n for n in note if n) or None
    return record


def read_tests(path: Path) -> tuple[Iterator[Record], list[str]]:
    """The records of a promptfoo test file, and notes on what did not map (one per occurrence)."""
    check_input(path)
    tests, notes = _tests(path)
    records = []
    for test in tests:
        data = _record(test.data, notes)
        records.append(Record(test.where, {}, refused=data) if isinstance(data, str) else Record(test.where, data))
    return iter(records), notes
