"""The terminal summary of `cstudio check`: trust first, verdict, gates, the shift table."""

from __future__ import annotations

from constitution_studio.core.check import CheckResult
from constitution_studio.core.report.shift_text import format_shift_text


def check_text(result: CheckResult) -> str:
    out = []
    if result.shift is not None:
        out.append(format_shift_text(result.shift))
    for f in result.findings:
        out.append(f.format() + "\n")
    out.append("gates:\n")
    for g in result.gates:
        out.append(f"  {'pass' if g.passed else 'FAIL'}  {g.rule:<16} {g.message}\n")
    verdict = "passed" if result.passed else f"FAILED ({len(result.failures)} gate(s))"
    out.append(f"check {result.base} -> {result.head}: {verdict}\n")
    return "".join(out)
