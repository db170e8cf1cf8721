"""The case detail's revisions section: what `cstudio revise` recorded for one case (core/export/revision_record.py).

Every text in a record came from a generator reading repository text: it is sanitized here
and cut at SHOW_CHARS. Outcomes are words ("accepted", "not accepted", "never complied
after N rounds"), so the section reads the same in monochrome; colour only repeats them.
"""

from __future__ import annotations

import time

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text

from constitution_studio.core.critic.types import served_description
from constitution_studio.core.export.revision_record import CaseRevision, CaseRevisions
from constitution_studio.core.export.revision_rows import JudgedText, RevisionRow
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import label_word, plural, revision_outcome, verdict_short

SHOW_CHARS = 2000  # of one critique or revision; the rest is in revisions.jsonl
HEADING = "Revisions (cstudio revise)"
WORDING = {
    "current": "the current wording",
    "changed": "the wording has changed since",
    "removed": "the principle no longer exists",
}


def empty_text(case_id: str, kind: str) -> str:
    """What the section says when a case has no recorded revision."""
    if kind != "single":
        return "no revisions: cstudio revise revises single-response cases"
    return (
        f"no revisions yet — cstudio revise --case {sanitize(case_id)} --out DIR "
        "(it revises the case when the judge labels it violates)"
    )


def shown(text: str) -> str:
    """A generated text as shown: sanitized, cut at SHOW_CHARS."""
    cut = text[:SHOW_CHARS]
    more = len(text) - len(cut)
    tail = f"\n… {more:,} more characters (revisions.jsonl of the run has them all)" if more else ""
    return sanitize(cut, keep_newlines=True) + tail


def judged_text(j: JudgedText, principle_id: str) -> str:
    """`violates overall (decided by HARM-01); HARM-01: violates, P(violates) 0.80`."""
    overall = "not scored" if j.label is None else f"{label_word(j.label)} overall"
    if j.decider and j.label is not None:
        overall += f" (decided by {sanitize(j.decider)})"
    own = verdict_short(j.principle_label, j.p_violates, "single")
    text = f"{overall}; {sanitize(principle_id)}: {own}"
    if j.stable is False:
        text += "; the judge variants disagree"
    return text


def identity_text(row: RevisionRow) -> str:
    """Who wrote and who judged: the generator (kind, model, settings) and the judge."""
    g = row.generator
    sampling = "greedy" if g.temperature == 0 else f"temperature {g.temperature:g}, seed {g.seed}"
    judge = row.provenance.judge
    served = served_description(judge.model_dump())
    judge_text = f"{judge.model} ({judge.method}, templates {row.provenance.template_set})"
    return f"generator: {sanitize(g.kind)} {sanitize(g.model)} ({sampling}) · judge: {sanitize(judge_text)}" + (
        f", {sanitize(served)}" if served else ""
    )


def render_record(record: CaseRevision) -> RenderableType:
    row = record.row
    outcome = revision_outcome(row.accepted_round, len(row.rounds))
    pid = sanitize(row.principle_id)
    wording = f"wording {row.statement_sha256[:12]}"
    if record.wording is not None:
        wording += f": {WORDING[record.wording]}"
    lines: list[RenderableType] = [
        Text(f"principle {pid}, {wording}"),
        Text(f"the original: {judged_text(row.original_judged, row.principle_id)}"),
    ]
    if record.response_current is False:
        lines.append(Text("the case's response has changed since this run", style="italic"))
    lines.append(Text(identity_text(row), style="dim"))
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.recorded))
    lines.append(Text(f"recorded {stamp} · {revision_outcome(row.accepted_round, len(row.rounds))}"))
    for r in row.rounds:
        verdict = "accepted" if r.round == row.accepted_round else "not accepted"
        lines.append(
            Text.assemble(
                "\n",
                (f"Round {r.round} · {verdict}", "bold green" if r.round == row.accepted_round else "bold"),
                f" · judge: {judged_text(r.judged, row.principle_id)}",
            )
        )
        lines.append(Text("critique:", style="bold"))
        lines.append(Padding(Text(shown(r.critique)), (0, 0, 0, 2)))
        lines.append(Text("revision:", style="bold"))
        lines.append(Padding(Text(shown(r.revision)), (0, 0, 0, 2)))
    return Panel(
        Group(*lines),
        title=Text(f"{pid} · {outcome}"),
        title_align="left",
        border_style="green" if row.accepted_round is not None else "red",
    )


def render_revisions(found: CaseRevisions | None, kind: str) -> RenderableType:
    """The whole section: the records newest first, or why there are none."""
    if found is None:
        return Text(f"{HEADING}: reading…", style="dim")
    parts: list[RenderableType] = []
    count = len(found.revisions)
    if found.note is not None:
        parts.append(Text(f"{HEADING}: {sanitize(found.note)}"))
    elif count == 0:
        parts.append(Text(f"{HEADING}: {empty_text(found.case_id, kind)}"))
    else:
        parts.append(Text(f"{HEADING}: {plural(count, 'recorded run')}, newest first", style="bold"))
    parts.extend(render_record(r) for r in found.revisions)
    if found.more:
        parts.append(Text(f"… and {plural(found.more, 'older run')} not shown", style="dim"))
    if found.skipped:
        parts.append(Text(f"{plural(found.skipped, 'record')} not shown: too large or not a valid record", style="dim"))
    return Group(*parts)
