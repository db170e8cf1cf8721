"""`cstudio revise`: critique-revision data from the constitution's own requests, checked by the judge.

For each case the judge labels `violates` (or each draft of `--prompts`), one principle is
picked: the case's deciding principle, or (as in the CAI paper) one drawn at random among its
engaged principles, seeded per case. A generator critiques the response with that principle's
`critique` request, then revises it with its `revision` request; the judge scores every
revision as a case of its own (same conversation, new response: the priority rule over every
linked principle, analysis/resolve.py), and the loop stops at the first round whose revision
complies, up to `rounds`. Revisions that never comply are reported, not dropped.

Deterministic for a seed at temperature 0 (greedy generation; the seed draws principles).
Generations are cached (gencache.py) and so are the judge's scores; cancelling between two
steps keeps every case that finished (and every text generated so far, for the next run).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.scoring import case_requests, score_versions
from constitution_studio.core.critic.anchored import localized_statement
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.export.gather import Gathered
from constitution_studio.core.export.gencache import GenerationCache, generation_key
from constitution_studio.core.export.generator import Generator, GeneratorInfo
from constitution_studio.core.export.labels import stability
from constitution_studio.core.export.provenance import statement_hash
from constitution_studio.core.export.revision_record import RevisionRecord
from constitution_studio.core.export.revision_rows import (
    JudgedText,
    Pick,
    RevisionPreferenceRow,
    RevisionRound,
    RevisionRow,
    SftRow,
)
from constitution_studio.core.export.rows import Message, assistant, prompt_messages
from constitution_studio.core.models import EvalCase, Principle, Status
from constitution_studio.core.wording import noun
from constitution_studio.core.workspace import Workspace
from constitution_studio.errors import BadInputError

Progress = Callable[[int, int], None]
MAX_DRAFTS_BYTES = 64 << 20
GENERIC_CRITIQUE = "Identify specific ways in which your last response does not follow this principle: {statement}"
GENERIC_REVISION = (
    "Rewrite your last response so that it follows this principle: {statement} Answer with the rewritten response only."
)


class ReviseSettings(BaseModel):
    rounds: int = Field(default=2, ge=1, le=10, description="Critique-revision rounds at most.")
    pick: Pick = "decider"
    seed: int = 0
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_new_tokens: int = Field(default=256, ge=1, le=8192)


class ReviseSummary(BaseModel):
    """What a run produced: the figures `revise` prints."""

    selected: int = Field(description="Cases (or drafts) to revise.")
    finished: int = Field(description="Cases whose loop ran to its end (accepted or out of rounds).")
    accepted_by_round: list[int] = Field(description="Cases first accepted in round 1, 2, ...")
    never: list[str] = Field(description="Cases whose revisions never complied.")
    cancelled: bool = False


# --- what to revise ------------------------------------------------------------------------


def violating_cases(gathered: Gathered) -> list[str]:
    """Single-response cases whose overall verdict (primary judge) is `violates`, in file order."""
    version = gathered.version
    out = []
    for cid in gathered.case_ids:
        if version.ws.cases[cid].kind != "single":
            continue
        verdict = version.verdict(cid, [version.primary])
        if verdict is not None and verdict.label == "violates":
            out.append(cid)
    return out


def read_drafts(path: Path, ws: Workspace) -> list[EvalCase]:
    """`--prompts FILE`: JSON Lines of {"prompt": text or turns, "response": draft, "id"?, "principles"?}.

    Without `principles` a draft is linked to every principle that may decide (not deprecated),
    in priority order. A bad line is one error naming the file and line."""
    try:
        if not path.is_file():  # a FIFO or device would block or never end
            raise BadInputError("not a regular file", path=str(path))
        if path.stat().st_size > MAX_DRAFTS_BYTES:
            raise BadInputError(f"larger than {MAX_DRAFTS_BYTES >> 20} MiB", path=str(path))
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"cannot read the drafts ({exc})", path=str(path)) from None
    default = [p for p in ws.ordered_principle_ids() if ws.principles[p].status != Status.DEPRECATED]
    drafts: list[EvalCase] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
            data = {
                "id": doc.get("id", f"draft-{n}"),
                "principles": doc.get("principles", default),
                "prompt": doc.get("prompt"),
                "response": doc.get("response"),
            }
            case = EvalCase.model_validate(data)
        except (ValueError, ValidationError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BadInputError(f"not a draft ({first})", path=str(path), line=n) from None
        unknown = [p for p in case.principles if p not in ws.principles]
        if unknown:
            raise BadInputError(
                f"unknown {noun(len(unknown), 'principle')} {', '.join(unknown)}", path=str(path), line=n
            )
        if case.id in seen:
            raise BadInputError(f"duplicate id {case.id}", path=str(path), line=n)
        seen.add(case.id)
        drafts.append(case)
    return drafts


def with_cases(ws: Workspace, cases: Iterable[EvalCase]) -> Workspace:
    """`ws` (its principles and priority) holding only `cases`: drafts, or revisions to judge."""
    return replace(ws, cases={c.id: c for c in cases}, case_paths={}, case_indexes={}, _links=None)


def pick_principle(version: ScoredVersion, case_id: str, pick: Pick, seed: int) -> str | None:
    """The case's deciding principle, or one drawn (seeded per case) among its engaged ones
    (all that may decide when none is engaged)."""
    verdict = version.verdict(case_id, [version.primary])
    if verdict is None or verdict.deciding is None:
        return None
    if pick == "decider":
        return verdict.deciding
    pool = list(verdict.engaged) or version.eligible(case_id)[0]
    return random.Random(f"{seed}:{case_id}").choice(pool)


def requests_of(principle: Principle, statement: str) -> tuple[str, str, str]:
    """(critique request, revision request, where they came from): the principle's own, or
    generic ones quoting its wording."""
    if principle.critique and principle.revision:
        return principle.critique, principle.revision, "principle"
    critique = principle.critique or GENERIC_CRITIQUE.format(statement=statement)
    revision = principle.revision or GENERIC_REVISION.format(statement=statement)
    return critique, revision, "statement"


# --- the loop ------------------------------------------------------------------------------


class _Run:
    """One revise run's generator, judge and caches."""

    def __init__(
        self,
        version: ScoredVersion,
        judge: Judge,
        generator: Generator,
        settings: ReviseSettings,
        cache: GenerationCache,
        cancel: threading.Event | None,
    ) -> None:
        self.version = version
        self.judge = judge
        self.generator = generator
        self.settings = settings
        self.cache = cache
        self.cancel = cancel
        self.generated = 0
        self.cached = 0

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def generate(self, messages: Sequence[Message]) -> str | None:
        """The generator's answer (cached); None when cancelled first."""
        if self.cancelled:
            return None
        chat = [m.model_dump(exclude_none=True) for m in messages]
        s = self.settings
        key = generation_key(
            self.generator.identity, chat, temperature=s.temperature, seed=s.seed, max_new_tokens=s.max_new_tokens
        )
        hit = self.cache.get(key)
        if hit is not None:
            self.cached += 1
            return hit
        text = self.generator.generate(chat, temperature=s.temperature, seed=s.seed, max_new_tokens=s.max_new_tokens)
        self.cache.put(key, text, self.generator.identity)
        self.generated += 1
        return text

    def judge_text(self, case: EvalCase, text: str, case_id: str, principle_id: str) -> JudgedText | None:
        """The judge's verdict on `text` as the response to `case`'s conversation (None when cancelled)."""
        data = case.model_dump(exclude={"gold", "note"}) | {"id": case_id, "response": text}
        revised = EvalCase.model_validate(data)  # a fresh model: its content hash is of the new text
        v = ScoredVersion(
            ws=with_cases(self.version.ws, [revised]),
            judges=list(self.version.judges),
            engagement=self.version.engagement,
            locale=self.version.locale,
            demonstrations=self.version.demonstrations,
        )
        run = score_versions(self.judge, [(v, case_requests(v, [case_id]))], cancel=self.cancel)
        if run.cancelled:
            return None
        return judged(v, case_id, principle_id)


def judged(version: ScoredVersion, case_id: str, principle_id: str) -> JudgedText:
    """The overall verdict and the chosen principle's own answer, read from the version."""
    verdict = version.verdict(case_id)
    pv = version.principle_verdict(principle_id, case_id)
    return JudgedText(
        label=verdict.label if verdict else None,
        decider=verdict.deciding if verdict else None,
        principle_label=pv.label if pv else None,
        p_violates=pv.probability if pv else None,
        stable=stability(verdict, version.judges) if verdict else None,
    )


def revise(
    gathered: Gathered,
    judge: Judge,
    generator: Generator,
    settings: ReviseSettings,
    case_ids: Sequence[str],
    *,
    source: str = "case",
    cache: GenerationCache,
    record: RevisionRecord | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> Iterator[RevisionRow]:
    """One RevisionRow per case whose loop finished, in `case_ids` order; stops when cancelled.

    With `record`, each finished case's row is recorded (committed) before it is yielded, so the
    studio can show it (revision_record.py) and a cancel keeps it."""
    version = gathered.version
    ws = version.ws
    run = _Run(version, judge, generator, settings, cache, cancel)
    info = GeneratorInfo(
        kind=generator.kind,
        model=generator.model_name,
        identity=generator.identity,
        temperature=settings.temperature,
        seed=settings.seed,
        max_new_tokens=settings.max_new_tokens,
    )
    total = len(case_ids)
    if progress is not None:
        progress(0, total)
    for done, cid in enumerate(case_ids, 1):
        if run.cancelled:
            return
        case = ws.cases[cid]
        pid = pick_principle(version, cid, settings.pick, settings.seed)
        if pid is None or case.response is None:
            continue
        statement = localized_statement(ws.principles[pid], version.locale)
        critique_request, revision_request, origin = requests_of(ws.principles[pid], statement)
        prompt = prompt_messages(case)
        rounds: list[RevisionRound] = []
        current = case.response
        accepted: int | None = None
        for n in range(1, settings.rounds + 1):
            asked = [*prompt, *assistant(current), Message(role="user", content=critique_request)]
            critique = run.generate(asked)
            if critique is None:
                return
            revision = run.generate([*asked, *assistant(critique), Message(role="user", content=revision_request)])
            if revision is None:
                return
            verdict = run.judge_text(case, revision, f"{cid}.r{n}", pid)
            if verdict is None:
                return
            complies = verdict.label == "complies"
            rounds.append(
                RevisionRound(round=n, critique=critique, revision=revision, judged=verdict, complies=complies)
            )
            if complies:
                accepted = n
                break
            current = revision
        row = RevisionRow(
            case_id=cid,
            source=source,  # type: ignore[arg-type]
            prompt=prompt,
            original=case.response,
            original_judged=judged(version, cid, pid),
            principle_id=pid,
            statement_sha256=statement_hash(statement),
            pick=settings.pick,
            requests_from=origin,  # type: ignore[arg-type]
            critique_request=critique_request,
            revision_request=revision_request,
            rounds=rounds,
            accepted_round=accepted,
            generator=info,
            provenance=gathered.provenance,
        )
        if record is not None:
            record.put(row)
        yield row
        if progress is not None:
            progress(done, total)


# --- rows out ------------------------------------------------------------------------------


def sft_rows(rows: Iterable[RevisionRow]) -> Iterator[SftRow]:
    """One row per round: the response critiqued, the critique, the revision, the judge's verdict."""
    for row in rows:
        critiqued = row.original
        for r in row.rounds:
            yield SftRow(
                case_id=row.case_id,
                round=r.round,
                principle_id=row.principle_id,
                statement_sha256=row.statement_sha256,
                prompt=row.prompt,
                response=critiqued,
                critique_request=row.critique_request,
                critique=r.critique,
                revision_request=row.revision_request,
                revision=r.revision,
                messages=[*row.prompt, *assistant(r.revision)],
                complies=r.complies,
                accepted=r.round == row.accepted_round,
                generator=row.generator,
                provenance=row.provenance,
            )
            critiqued = r.revision


def revision_preferences(rows: Iterable[RevisionRow]) -> Iterator[RevisionPreferenceRow]:
    """The accepted revision chosen over the original, for every case that complied."""
    for row in rows:
        if row.accepted_round is None:
            continue
        best = row.rounds[row.accepted_round - 1]
        yield RevisionPreferenceRow(
            case_id=row.case_id,
            prompt=row.prompt,
            chosen=assistant(best.revision),
            rejected=assistant(row.original),
            principle_id=row.principle_id,
            statement_sha256=row.statement_sha256,
            round=best.round,
            chosen_judged=best.judged,
            rejected_judged=row.original_judged,
            generator=row.generator,
            provenance=row.provenance,
        )


def summarize(rows: Sequence[RevisionRow], selected: int, rounds: int, *, cancelled: bool) -> ReviseSummary:
    by_round = [0] * rounds
    for row in rows:
        if row.accepted_round is not None:
            by_round[row.accepted_round - 1] += 1
    return ReviseSummary(
        selected=selected,
        finished=len(rows),
        accepted_by_round=by_round,
        never=[r.case_id for r in rows if r.accepted_round is None],
        cancelled=cancelled,
    )
