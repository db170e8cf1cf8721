"""`cstudio check --junit FILE`: one test per changed principle, plus one per global gate.

A principle's test fails when one of its cases regressed against gold or it has more
stable flips than the gate allows; it is named by the principle's ID (titles change, a test
history must not), the title in its output. Global gates (validation, over-refusal, critic
kappa) are tests of their own in the `gates` class. The suite carries `timestamp` (when the
check started, UTC) and `time` (seconds it took). The document is well-formed XML whatever
the repository holds: characters XML 1.0 cannot carry (NUL, ESC, lone surrogates, ...) and
bidi controls are shown escaped (`\\x1b`), as on a terminal. Every `check:` / `critic:` value the head
changed is named too (issue 10: every report lists them): a `setting.<key>` property on the
suite and a passing `settings.<key>` test whose output is base -> head; the gate a change can
fail (`critic_change`) is its own test among the gates.

The verdict is the suite's `status` property (passed, failed or inconclusive). The `trust`
gate fails while the critic cannot tell (inconclusive); under `check.on_untrusted: warn` it is
`skipped` with that reason instead, never a plain pass. The `answer_key_change` gate's output
lists each change the head made to the base's answer key, and what it adds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from constitution_studio.core.analysis.gate import CheckResult
from constitution_studio.core.report.check_verdict import answer_key_lines, gate_outcome
from constitution_studio.core.report.shift_common import flips
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import plural

_NOT_XML = re.compile("[\ufffe\uffff]")  # XML-illegal characters sanitize leaves alone


def xml_text(text: str) -> str:
    """`text` that XML 1.0 can carry: control and bidi characters and lone surrogates escaped."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", sanitize(text, keep_newlines=True))


def _value(v: object) -> str:
    return "unset" if v is None else repr(v)


def _change(base: object, head: object) -> str:
    return f"{_value(base)} -> {_value(head)}"


def check_junit(result: CheckResult, *, started: datetime | None = None, seconds: float = 0.0) -> str:
    """The JUnit XML document; `started` (default now) and `seconds` are the suite's timestamp and time."""
    when = (started or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    suite = ET.Element(
        "testsuite", name="cstudio check", hostname="cstudio", timestamp=when.isoformat(), time=f"{seconds:.3f}"
    )
    tests = failures = 0

    def case(
        classname: str, name: str, failure: str | None, detail: str, out: str = "", skipped: str | None = None
    ) -> None:
        nonlocal tests, failures
        tests += 1
        tc = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
        if failure is not None:
            failures += 1
            f = ET.SubElement(tc, "failure", message=failure)
            f.text = detail
        elif skipped is not None:
            ET.SubElement(tc, "skipped", message=skipped)
        if out:
            ET.SubElement(tc, "system-out").text = out

    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="status", value=result.status)
    if result.inconclusive is not None:
        ET.SubElement(props, "property", name="inconclusive", value=result.inconclusive)
    if result.settings_changed:
        for change in result.settings_changed:
            ET.SubElement(props, "property", name=f"setting.{change.key}", value=_change(change.base, change.head))
    for change in result.settings_changed:
        detail = (
            f"{change.key}: {_change(change.base, change.head)} (changed by the head; the base's critic judged,"
            " and for check: rules the stricter side applied)"
        )
        case("settings", change.key, None, detail, detail)
    principle_gates = {g.principle_id: g for g in result.gates if g.principle_id and not g.passed}
    key_lines = "\n".join(answer_key_lines(result))
    for g in result.gates:
        if g.principle_id is None:
            out = key_lines if g.rule == "answer_key_change" else ""
            if g.rule == "trust" and result.inconclusive is not None:
                out = "\n".join(["to make it conclusive:", *result.conclusive_advice])
            skipped = result.inconclusive if gate_outcome(result, g) == "inconclusive" else None
            case("gates", g.rule, None if g.passed else g.message, g.message, out, skipped)
    if result.shift is not None:
        for ps in result.shift.principles:
            s = ps.stats
            problems = []
            if result.settings.fail_on_gold_regression and s.gold_regressions:
                word = "gold regression" if len(s.gold_regressions) == 1 else "gold regressions"
                problems.append(f"{word}: {', '.join(s.gold_regressions)}")
            if ps.principle_id in principle_gates:
                problems.append(principle_gates[ps.principle_id].message)
            summary = (
                f"{', '.join(ps.changes)}; {plural(s.scored, 'case')}; stable flips {flips(s.flips_stable)}; "
                f"unstable flips {flips(s.flips_unstable)}"
            )
            out = f"{ps.principle_id} ({ps.title}): {summary}"
            case("principles", ps.principle_id, "; ".join(problems) if problems else None, summary, out)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ET.indent(suite)
    return xml_text('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n")
