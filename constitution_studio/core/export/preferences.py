"""`cstudio export preferences`: RLAIF preference pairs from pair cases (`a`/`b`).

One row per pair case, decided as every surface decides it (analysis/resolve.py: the
highest-priority engaged linked principle, else the highest-priority one); with
`per_principle`, one row per (pair case, linked principle) from that principle's own label.

A row is marked `abstain` when it is not training signal: an equivalent judge (another
template variant, a panel member) prefers the other side, the preference lies inside the
noise band (`scored.inside_noise_band`), or not every judge variant has answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from constitution_studio.core.analysis.scored import ScoredVersion, Verdict, inside_noise_band
from constitution_studio.core.critic.anchored import localized_statement
from constitution_studio.core.export.gather import Gathered
from constitution_studio.core.export.labels import stability, variant_labels
from constitution_studio.core.export.provenance import Provenance, statement_hash
from constitution_studio.core.export.rows import PreferenceRow, assistant, prompt_messages
from constitution_studio.core.models import EvalCase, Scope

Reason = Literal["variants-disagree", "inside-noise-band", "variants-unscored"]


def abstain_reasons(verdict: Verdict, judges: list[str]) -> list[Reason]:
    """Why a preference is not training signal (empty: it is)."""
    reasons: list[Reason] = []
    stable = stability(verdict, judges)
    if stable is None:
        reasons.append("variants-unscored")
    elif not stable:
        reasons.append("variants-disagree")
    if inside_noise_band(verdict):
        reasons.append("inside-noise-band")
    return reasons


def _row(
    version: ScoredVersion,
    case: EvalCase,
    verdict: Verdict,
    principle_id: str,
    *,
    scope: Scope,
    decides: bool,
    gold: str | None,
    provenance: Provenance,
) -> PreferenceRow | None:
    if verdict.label not in ("a", "b") or verdict.probability is None:
        return None
    p = verdict.probability
    side: Literal["a", "b"] = "a" if verdict.label == "a" else "b"
    chosen, rejected = (case.a or "", case.b or "") if side == "a" else (case.b or "", case.a or "")
    reasons = abstain_reasons(verdict, version.judges)
    statement = localized_statement(version.ws.principles[principle_id], version.locale)
    return PreferenceRow(
        case_id=case.id,
        scope=scope,
        prompt=prompt_messages(case),
        chosen=assistant(chosen),
        rejected=assistant(rejected),
        chosen_side=side,
        principle_id=principle_id,
        statement_sha256=statement_hash(statement),
        decides=decides,
        rule=verdict.rule if scope == "case" else None,
        probability=p,
        p_chosen=p if side == "a" else 1.0 - p,
        margin=abs(p - 0.5),
        band=verdict.band,
        stable=stability(verdict, version.judges),
        variants=variant_labels(version, principle_id, case.id),
        abstain=bool(reasons),
        abstain_reasons=reasons,
        gold=gold,
        agrees_with_gold=None if gold is None else gold == side,
        provenance=provenance,
    )


def preference_rows(gathered: Gathered, *, per_principle: bool = False) -> Iterator[PreferenceRow]:
    """The preference rows of the gathered pair cases (file order); incomplete cases have none."""
    version = gathered.version
    ws = version.ws
    for cid in gathered.case_ids:
        case = ws.cases[cid]
        if case.kind != "pair":
            continue
        overall = version.verdict(cid)
        if overall is None:
            continue
        if not per_principle:
            if overall.deciding is None:
                continue
            row = _row(
                version,
                case,
                overall,
                overall.deciding,
                scope="case",
                decides=True,
                gold=version.gold(cid),
                provenance=gathered.provenance,
            )
            if row is not None:
                yield row
            continue
        for pid in version.eligible(cid)[0]:
            pv = version.principle_verdict(pid, cid)
            if pv is None:
                continue
            decides = overall.deciding == pid
            gold = case.gold_by_principle.get(pid) or (version.gold(cid) if decides else None)
            row = _row(
                version, case, pv, pid, scope="principle", decides=decides, gold=gold, provenance=gathered.provenance
            )
            if row is not None:
                yield row
