"""How every surface words a case's recorded revisions (revision_record.py): the studio's case
detail and `cstudio revisions` call these, so both say the same thing the same way.

Every text in a record is hostile (a generator wrote it from repository text; the record
lives in a local database): each function here returns plain text already sanitized
(core/sanitize.py), and long generated texts are cut with a marker saying how much is left.
Verdicts are worded by core/wording.py; outcomes are words, never only a colour.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from constitution_studio.core.critic.types import served_description
from constitution_studio.core.export.revision_record import CaseRevision, CaseRevisions, Wording
from constitution_studio.core.export.revision_rows import JudgedText, RevisionRound, RevisionRow
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import label_word, plural, revision_outcome, verdict_short

SHOW_CHARS = 2000  # of one critique or revision, unless asked for whole
WORDING: dict[Wording, str] = {
    "current": "the current wording",
    "changed": "the wording has changed since",
    "removed": "the principle no longer exists",
}
RESPONSE_CHANGED = "the case's response has changed since this run"
IN_THE_RUN = "revisions.jsonl of the run has them all"


def no_revisions_text(case_id: str, kind: str) -> str:
    """What is said of a case without a recorded revision (a pair case: why there can be none)."""
    if kind != "single":
        return "no revisions: cstudio revise revises single-response cases"
    return (
        f"no revisions yet — cstudio revise --case {sanitize(case_id)} --out DIR "
        "(it revises the case when the judge labels it violates)"
    )


def cut_text(text: str, limit: int | None = SHOW_CHARS, *, whole: str = IN_THE_RUN) -> str:
    """A generated text as shown: sanitized (newlines kept), cut at `limit` characters (None: whole)
    with `… N more characters (WHOLE)` after it."""
    cut = text if limit is None else text[:limit]
    more = len(text) - len(cut)
    tail = f"\n… {more:,} more characters ({whole})" if more else ""
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
    """Who wrote and who judged: `generator: in-process MODEL (greedy) · judge: MODEL (method, templates T)`."""
    g = row.generator
    sampling = "greedy" if g.temperature == 0 else f"temperature {g.temperature:g}, seed {g.seed}"
    judge = row.provenance.judge
    served = served_description(judge.model_dump())
    judge_text = f"{judge.model} ({judge.method}, templates {row.provenance.template_set})"
    return f"generator: {sanitize(g.kind)} {sanitize(g.model)} ({sampling}) · judge: {sanitize(judge_text)}" + (
        f", {sanitize(served)}" if served else ""
    )


def outcome_text(row: RevisionRow) -> str:
    """`accepted in round 2` · `never complied after 2 rounds`."""
    return revision_outcome(row.accepted_round, len(row.rounds))


def title_text(record: CaseRevision) -> str:
    """A run's title: `HARM-01 · accepted in round 2`."""
    return f"{sanitize(record.row.principle_id)} · {outcome_text(record.row)}"


def principle_text(record: CaseRevision) -> str:
    """`principle HARM-01, wording 0123456789ab: the current wording` (the hash's first 12 characters)."""
    row = record.row
    wording = f"wording {sanitize(row.statement_sha256[:12])}"
    if record.wording is not None:
        wording += f": {WORDING[record.wording]}"
    return f"principle {sanitize(row.principle_id)}, {wording}"


def original_text(record: CaseRevision) -> str:
    """`the original: violates overall (decided by HARM-01); HARM-01: violates, P(violates) 0.90`."""
    return f"the original: {judged_text(record.row.original_judged, record.row.principle_id)}"


def recorded_text(record: CaseRevision) -> str:
    """`recorded 2026-12-06 07:00 · accepted in round 2` (local time)."""
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.recorded))
    return f"recorded {stamp} · {outcome_text(record.row)}"


def round_verdict(row: RevisionRow, r: RevisionRound) -> str:
    """`Round 2 · accepted` · `Round 1 · not accepted`."""
    return f"Round {r.round} · {'accepted' if r.round == row.accepted_round else 'not accepted'}"


def round_judge(row: RevisionRow, r: RevisionRound) -> str:
    """`judge: complies overall (decided by HARM-01); HARM-01: complies, P(violates) 0.20`."""
    return f"judge: {judged_text(r.judged, row.principle_id)}"


def heading_text(found: CaseRevisions, kind: str) -> str:
    """What a case's section says first: why nothing was read, that there is nothing, or how many runs."""
    if found.note is not None:
        return sanitize(found.note)
    count = len(found.revisions)
    if count == 0:
        return no_revisions_text(found.case_id, kind)
    return f"{plural(count, 'recorded run')}, newest first"


def footer_texts(found: CaseRevisions) -> list[str]:
    """What was not shown: older runs over the limit, records too large or not valid."""
    lines = []
    if found.more:
        lines.append(f"… and {plural(found.more, 'older run')} not shown")
    if found.skipped:
        lines.append(f"{plural(found.skipped, 'record')} not shown: too large or not a valid record")
    return lines


# --- `cstudio revisions` text --------------------------------------------------------------


def _indented(text: str, prefix: str) -> list[str]:
    return [f"{prefix}{line}" if line else prefix.rstrip() for line in text.split("\n")]


def record_lines(record: CaseRevision, limit: int | None) -> list[str]:
    """One recorded run as lines of text (the same content as the studio's panel)."""
    row = record.row
    lines = [f"  {title_text(record)}", f"    {principle_text(record)}", f"    {original_text(record)}"]
    if record.response_current is False:
        lines.append(f"    {RESPONSE_CHANGED}")
    lines += [f"    {identity_text(row)}", f"    {recorded_text(record)}"]
    whole = "--full prints them whole"
    for r in row.rounds:
        lines.append(f"    {round_verdict(row, r)} · {round_judge(row, r)}")
        lines.append("      critique:")
        lines += _indented(cut_text(r.critique, limit, whole=whole), "        ")
        lines.append("      revision:")
        lines += _indented(cut_text(r.revision, limit, whole=whole), "        ")
    return lines


def revisions_text(found: list[CaseRevisions], kinds: Mapping[str, str], *, full: bool = False) -> str:
    """The text report of `cstudio revisions`: per case its recorded runs, newest first."""
    limit = None if full else SHOW_CHARS
    blocks = []
    for case in found:
        lines = [f"{sanitize(case.case_id)}: {heading_text(case, kinds.get(case.case_id, 'single'))}"]
        for record in case.revisions:
            lines += record_lines(record, limit)
        lines += [f"  {line}" for line in footer_texts(case)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
