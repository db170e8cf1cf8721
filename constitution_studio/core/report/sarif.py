"""SARIF 2.1.0 logs for `validate --sarif FILE` and `check --sarif FILE` (code scanning, IDE viewers).

One run per log, tool `cstudio`. Validation findings become results whose rule is the finding
code (docs/validation.md); failing gates become results whose rule is `check/<rule>`, placed
where github.py places their annotations (an allowed answer-key change is a `note`, an
inconclusive check under `on_untrusted: warn` a `warning`; the run's properties carry `status`).
Paths are relative to the repository root (the `prefix` is the constitution root's place in
it), as GitHub code scanning expects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from constitution_studio import __version__
from constitution_studio.core.findings import CODES, Finding, Severity
from constitution_studio.core.report.github import Locate, _join, gate_targets
from constitution_studio.core.sanitize import json_safe

if TYPE_CHECKING:  # the analysis needs numpy (the critic extra); validate runs without it
    from constitution_studio.core.analysis.gate import CheckResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
INFO_URI = "https://github.com/constitution-studio/constitution-studio/blob/main/docs/validation.md"

GATE_RULES = {
    "gold_regression": "a gold case whose overall label was right at base is wrong at head",
    "over_refusal": "over-refusal on benign cases rose by more than the tolerance",
    "stable_flips": "a principle has more stable flips than max_stable_flips_per_principle",
    "min_kappa": "the critic's Cohen's kappa against gold at the head is below min_kappa",
    "answer_key_change": "the head changes the base's answer key (gold labels, gold or benign cases, benign flags)",
    "trust": "inconclusive: the critic's trust over the base's gold is untrusted or unknown",
}
LEVELS = {"error": "error", "warning": "warning", "notice": "note"}


def _location(path: str, line: int, col: int) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(line, 1), "startColumn": max(col, 1)},
        }
    }


def _rule(rule_id: str, text: str) -> dict[str, Any]:
    return {"id": rule_id, "name": rule_id, "shortDescription": {"text": text}, "helpUri": INFO_URI}


def _log(rules: dict[str, str], results: list[dict[str, Any]], properties: dict[str, Any]) -> dict[str, Any]:
    ordered = sorted(rules)
    index = {rid: i for i, rid in enumerate(ordered)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    return {
        "$schema": SCHEMA_URI,
        "version": VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cstudio",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": [_rule(rid, rules[rid]) for rid in ordered],
                    }
                },
                "results": results,
                "properties": properties,
            }
        ],
    }


def _finding_results(findings: Iterable[Finding], prefix: str, rules: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        rules[f.code] = CODES.get(f.code, f.code)
        out.append(
            {
                "ruleId": f.code,
                "level": "error" if f.severity is Severity.ERROR else "warning",
                "message": {"text": f.message},
                "locations": [_location(_join(prefix, f.path), f.line, f.col)],
            }
        )
    return out


def validate_sarif(findings: Iterable[Finding], prefix: str = "") -> dict[str, Any]:
    """The validation findings as a SARIF log."""
    rules: dict[str, str] = {}
    results = _finding_results(findings, prefix, rules)
    return _log(rules, results, {"command": "validate"})


def check_sarif(result: CheckResult, locate: Locate, prefix: str = "") -> dict[str, Any]:
    """The head's findings and every failing gate as a SARIF log."""
    rules: dict[str, str] = {}
    results = _finding_results(result.findings, prefix, rules)
    for t in gate_targets(result):
        rule_id = f"check/{t.rule}"
        rules[rule_id] = GATE_RULES.get(t.rule, t.rule)
        entry: dict[str, Any] = {"ruleId": rule_id, "level": LEVELS[t.severity], "message": {"text": t.message}}
        where = locate(t.kind, t.id)
        if where is not None:
            entry["locations"] = [_location(_join(prefix, where[0]), where[1], where[2])]
        results.append(entry)
    props: dict[str, Any] = {
        "command": "check",
        "passed": result.passed,
        "status": result.status,
        "base": result.base,
        "head": result.head,
    }
    if result.inconclusive is not None:
        props["inconclusive"] = result.inconclusive
    return _log(rules, results, props)


def render(log: dict[str, Any]) -> str:
    return json_safe(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"
