"""`cstudio export labels`: every scored (case, principle) of a version as one row.

Each row reads the version's answers (analysis/scored.py): the principle's own label and P
under the primary judge, its label under every judge variant, whether it is engaged, and the
case's overall verdict and decider from the priority rule (analysis/resolve.py). A
(case, principle) the judge has not answered under the primary judge has no row.
"""

from __future__ import annotations

from collections.abc import Iterator

from constitution_studio.core.analysis.scored import ScoredVersion, Verdict
from constitution_studio.core.critic.anchored import localized_statement
from constitution_studio.core.export.gather import Gathered
from constitution_studio.core.export.provenance import statement_hash
from constitution_studio.core.export.rows import LabelRow, VariantLabel, prompt_messages


def variant_labels(version: ScoredVersion, principle_id: str, case_id: str) -> list[VariantLabel]:
    """The principle's answer on the case under each judge variant (None where unscored)."""
    out = []
    for judge in version.judges:
        s = version.verdicts.get((principle_id, case_id, judge))
        out.append(VariantLabel(judge=judge, label=s.label if s else None, probability=s.probability if s else None))
    return out


def stability(verdict: Verdict, judges: list[str]) -> bool | None:
    """`verdict.stable`, or None when not every judge variant answered (stability unknown)."""
    return verdict.stable if len(verdict.variant_labels) == len(judges) else None


def label_rows(gathered: Gathered) -> Iterator[LabelRow]:
    """One row per (case, linked principle) the primary judge answered, cases in file order,
    principles in priority order (deprecated ones last)."""
    version = gathered.version
    ws = version.ws
    statements: dict[str, str] = {}
    for cid in gathered.case_ids:
        case = ws.cases[cid]
        overall = version.verdict(cid)
        eligible, deprecated = version.eligible(cid)
        messages = prompt_messages(case)
        for pid in [*eligible, *deprecated]:
            pv = version.principle_verdict(pid, cid)
            if pv is None or pv.label is None or pv.probability is None:
                continue
            if pid not in statements:
                statements[pid] = statement_hash(localized_statement(ws.principles[pid], version.locale))
            decides = overall is not None and overall.deciding == pid
            gold = case.gold_by_principle.get(pid)
            scope = "principle" if gold is not None else None
            if gold is None and decides:
                gold, scope = version.gold(cid), "case"
                scope = scope if gold is not None else None
            engaged = None
            if version.engagement and pid in pv.engagement:
                engaged = pid in pv.engaged
            principle = ws.principles[pid]
            yield LabelRow(
                case_id=cid,
                kind=case.kind,
                messages=messages,
                response=case.response,
                a=case.a,
                b=case.b,
                benign=case.benign,
                principle_id=pid,
                principle_status=principle.status.value,
                principle_rank=ws.rank(pid),
                statement_sha256=statements[pid],
                label=pv.label,
                probability=pv.probability,
                engaged=engaged,
                p_engaged=pv.engagement.get(pid),
                decides=decides,
                case_label=overall.label if overall else None,
                case_decider=overall.deciding if overall else None,
                case_rule=overall.rule if overall else None,
                stable=stability(pv, version.judges),
                band=pv.band,
                variants=variant_labels(version, pid, cid),
                gold=gold,
                gold_scope=scope,  # type: ignore[arg-type]
                agrees_with_gold=None if gold is None else gold == pv.label,
                provenance=gathered.provenance,
            )
