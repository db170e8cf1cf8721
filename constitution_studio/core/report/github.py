"""GitHub Actions workflow commands (`::error file=…,line=…::message`): annotations on the PR diff.

`validate --format github` emits one per finding; `check --format github` one per head
finding and one per failing gate, placed on the line of the principle that failed it (the
deciding principle of a regressed gold case, the principle over its flip cap) or on the
`check:` settings of constitution.yaml for the global gates; one per answer-key change on the
case at the head (a notice when the base allows it); an inconclusive check under
`on_untrusted: warn` is a warning, and the closing notice carries the verdict. Where a line is comes from a
`Locate` callable the caller builds from the head version, so this module stays pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from constitution_studio.core.findings import Finding, Severity
from constitution_studio.core.sanitize import sanitize

if TYPE_CHECKING:  # the analysis needs numpy (the critic extra); validate runs without it
    from constitution_studio.core.analysis.gate import CheckResult

# (kind, id) -> (path relative to the constitution root, line, column), or None when unknown.
# kind is "principle" (id = principle ID), "case" (id = case ID) or "check" (id = the gate rule).
Locate = Callable[[str, str], "tuple[str, int, int] | None"]

CONSTITUTION_FILE = "principles/constitution.yaml"
_LINE_ENDS = re.compile(r"(\r|\n)")


@dataclass(frozen=True)
class Target:
    """One thing to point at: a failing gate's message on a principle, a case or the gate settings."""

    rule: str
    message: str
    kind: str
    id: str
    severity: str = "error"


def gate_targets(result: CheckResult) -> list[Target]:
    """Each failing gate once per principle it concerns (global gates: once, on the settings)."""
    out: list[Target] = []
    shift = result.shift
    cases = {c.case_id: c for c in shift.cases} if shift is not None else {}
    for gate in result.failures:
        if gate.rule == "validation":
            continue  # the findings themselves are annotated
        if gate.principle_id:
            out.append(Target(gate.rule, gate.message, "principle", gate.principle_id))
        elif gate.rule == "gold_regression" and shift is not None:
            for cid in shift.overall.gold_regressions:
                case = cases.get(cid)
                deciding = case.head.deciding if case is not None and case.head is not None else None
                base = case.base.label if case is not None and case.base is not None else "?"
                head = case.head.label if case is not None and case.head is not None else "?"
                message = f"gold regression: case {cid} was {base} (right) at base, {head} (wrong) at head"
                if deciding:
                    out.append(Target(gate.rule, message + f"; decided by {deciding}", "principle", deciding))
                else:
                    out.append(Target(gate.rule, message, "case", cid))
        elif gate.rule == "answer_key_change" and shift is not None:
            out += _answer_key_targets(result, "error")
        else:
            out.append(Target(gate.rule, gate.message, "check", gate.rule))
    if shift is not None and result.settings.allow_answer_key_change:
        out += _answer_key_targets(result, "notice")  # allowed, and still listed
    if result.inconclusive is not None and all(g.passed for g in result.gates if g.rule == "trust"):
        # check.on_untrusted: warn — the check exits 0 but is inconclusive, never a plain pass
        out.append(Target("trust", result.inconclusive, "check", "trust", "warning"))
    return out


def _answer_key_targets(result: CheckResult, severity: str) -> list[Target]:
    """One target per change the head made to the base's answer key, on the case at the head when it is there."""
    assert result.shift is not None
    out = []
    for c in result.shift.answer_key.changes:
        message = f"answer key changed: {c.message}"
        if c.head_case_id is not None:
            out.append(Target("answer_key_change", message, "case", c.head_case_id, severity))
        else:
            out.append(Target("answer_key_change", message, "check", "answer_key_change", severity))
    return out


def _escape_data(text: str) -> str:
    """As @actions/core escapes a command's data, after showing control and bidi characters and
    lone surrogates escaped (the job log is a terminal, and stdout must encode as UTF-8)."""
    line_ends = {"\r": "%0D", "\n": "%0A"}
    return "".join(line_ends.get(part) or sanitize(part.replace("%", "%25")) for part in _LINE_ENDS.split(text))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
    title: str | None = None,
) -> str:
    """One workflow command line, escaped as @actions/core escapes it."""
    props = []
    if file is not None:
        props.append(f"file={_escape_property(file)}")
    if line is not None:
        props.append(f"line={line}")
    if col is not None:
        props.append(f"col={col}")
    if title is not None:
        props.append(f"title={_escape_property(title)}")
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    return f"{head}::{_escape_data(message)}\n"


def _join(prefix: str, path: str) -> str:
    return f"{prefix.rstrip('/')}/{path}" if prefix and prefix != "." else path


def finding_annotations(findings: Iterable[Finding], prefix: str = "") -> str:
    """One `::error`/`::warning` per finding; `prefix` is the constitution root relative to the repo root."""
    out = []
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        out.append(
            command(level, f"{f.code}: {f.message}", file=_join(prefix, f.path), line=f.line, col=f.col, title=f.code)
        )
    return "".join(out)


def check_annotations(result: CheckResult, locate: Locate, prefix: str = "") -> str:
    """Annotations for the head's findings and for every failing gate, then a one-line verdict notice."""
    out = [finding_annotations(result.findings, prefix)]
    for t in gate_targets(result):
        where = locate(t.kind, t.id)
        title = f"cstudio check: {t.rule}"
        if where is None:
            out.append(command(t.severity, t.message, title=title))
        else:
            path, line, col = where
            out.append(command(t.severity, t.message, file=_join(prefix, path), line=line, col=col, title=title))
    if result.status == "inconclusive":
        verdict = f"⚠️ {result.inconclusive}" + ("" if result.passed else " (failed: exit 1)")
    elif result.status == "failed":
        verdict = f"failed ({', '.join(sorted({g.rule for g in result.failures}))})"
    else:
        verdict = "passed"
    out.append(command("notice", f"constitution check {verdict}: {result.base} → {result.head}", title="cstudio"))
    return "".join(out)
