"""Eval cases from records: mapped, given stable IDs, compared with the constitution, written.

A case's ID is the record's `id` column when mapped, else `<prefix>-<12 hex>` from a hash of
what the critic would read (the conversation as imported and the response(s), not labels,
links or notes; `import_key`). Re-importing a file therefore finds every case already there:
the same content is *unchanged* (nothing written); other content under an existing ID is
*differ* and kept unless `--update` replaces it in the file it lives in. New cases are
appended to the `--into` file, rolling over to `NAME-2.yaml`, ... before a file would pass the
1 MiB limit every constitution file has.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from constitution_studio.core.case_authoring import CaseDraft, case_data, check_case_file
from constitution_studio.core.imports.conversation import ConversationError, canonical, case_conversation
from constitution_studio.core.imports.mapping import CaseInput, Mapping, RowError, read_case
from constitution_studio.core.imports.records import Record
from constitution_studio.core.imports.report import ImportReport, RecordErrors, Skipped, counted
from constitution_studio.core.imports.sources import Source
from constitution_studio.core.models import CASE_ID_PATTERN, EvalCase
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.workspace import Workspace, load_root
from constitution_studio.errors import BadInputError, InvalidConstitutionError

Kind = Literal["cases", "promptfoo", "inspect"]
MAX_ID = 128


@dataclass(frozen=True)
class CaseOptions:
    """How records become cases and where they go."""

    mapping: Mapping
    into: str  # eval_cases/NAME.yaml
    id_prefix: str
    update: bool = False
    skip_invalid: bool = False


@dataclass(frozen=True)
class Planned:
    """One case ready to write: its file mapping (house key order) and the validated model."""

    id: str
    data: dict[str, Any]
    case: EvalCase
    where: str


def slug(text: str, fallback: str = "imported") -> str:
    """A case-ID prefix / file stem from a name: lower case letters, digits and dashes."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    return out or fallback


def default_into(source: Path) -> str:
    return f"eval_cases/{slug(source.stem if source.suffix else source.name)}.yaml"


def import_key(inp: CaseInput) -> str:
    """12 hex digits identifying what the critic reads; the stable part of a content-hash ID."""
    body = {"conversation": canonical(inp.messages), "response": inp.response, "a": inp.a, "b": inp.b}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def to_case(inp: CaseInput, where: str, id_prefix: str, ws: Workspace) -> tuple[Planned, list[str]]:
    """The case a mapped record becomes, and notes on what was folded or dropped; RowError if none."""
    pair = inp.a is not None or inp.b is not None
    if pair and inp.response is not None:
        raise RowError("both a response and a pair (a/b); map one kind")
    if pair and (inp.a is None or inp.b is None):
        raise RowError("a pair case needs both `a` and `b`")
    try:
        conv = case_conversation(inp.messages, "" if pair else inp.response)
    except ConversationError as exc:
        raise RowError(str(exc)) from None
    case_id = inp.id if inp.id is not None else f"{id_prefix}-{import_key(inp)}"
    if len(case_id) > MAX_ID or not re.fullmatch(CASE_ID_PATTERN, case_id):
        raise RowError(f"case id {case_id[:40]!r} is not an ID (letters, digits, '.', '_', '-'; at most {MAX_ID})")
    if not inp.principles:
        raise RowError("no principle link: give --principle ID or map a principles column")
    unknown = [p for p in inp.principles if p not in ws.principles]
    if unknown:
        raise RowError(f"linked to unknown principle {', '.join(u[:40] for u in unknown)}")
    draft = CaseDraft(
        id=case_id,
        principles=tuple(inp.principles),
        turns=tuple((t.role, t.content) for t in conv.turns),
        loaded_turns=tuple(conv.turns),  # the tool keys (calls, call ids, tool names) are written as they are
        kind="pair" if pair else "single",
        response="" if pair else (conv.response or ""),
        a=inp.a or "",
        b=inp.b or "",
        gold=inp.gold,
        benign=inp.benign,
        note=inp.note or "",
        tags=tuple(inp.tags),
    )
    data = case_data(draft)
    try:
        case = EvalCase.model_validate(data)
    except ValidationError as exc:
        raise RowError(_first_error(exc)) from None
    return Planned(case_id, data, case, where), [*inp.notes, *conv.notes]


def build(
    records: Iterable[Record], options: CaseOptions, ws: Workspace, report: ImportReport
) -> tuple[list[Planned], list[str], list[str]]:
    """Every record mapped; (cases, error lines, notes). Duplicate records are skipped, conflicting ones are errors."""
    planned: dict[str, Planned] = {}
    errors: list[str] = []
    notes: list[str] = []
    for record in records:
        report.records += 1
        try:
            if record.refused is not None:
                raise RowError(record.refused)
            case, case_notes = to_case(read_case(record.data, options.mapping), record.where, options.id_prefix, ws)
        except RowError as exc:
            if options.skip_invalid:
                report.skipped.append(Skipped(where=record.where, reason=str(exc)))
            else:
                errors.append(f"{record.where}: error: {exc}")
            continue
        notes += case_notes
        first = planned.get(case.id)
        if first is None:
            planned[case.id] = case
        elif first.case == case.case:
            report.skipped.append(Skipped(where=record.where, reason=f"the same case as {first.where}"))
        else:
            errors.append(f"{record.where}: error: case id {case.id} is also at {first.where} with other content")
    return list(planned.values()), errors, notes


def load_checked(root: Path) -> Workspace:
    """The constitution on disk, refused (the same lines as validate, exit 2) when it has errors."""
    ws = load_root(root)
    if ws.errors:
        raise InvalidConstitutionError(ws.errors)  # type: ignore[arg-type]
    return ws


def import_cases(
    root: Path, source: Source, options: CaseOptions, report: ImportReport, *, dry_run: bool
) -> ImportReport:
    """Plan, validate and (unless `dry_run`) write the cases of `records`; the report says what changed."""
    from constitution_studio.core.imports.writer import commit, plan_case_files

    into = check_case_file(options.into)
    with constitution_lock(root):  # read, plan, validate and write one version
        ws = load_checked(root)
        unknown = [p for p in options.mapping.principles if p not in ws.principles]
        if unknown:
            raise BadInputError(f"--principle {sanitize(unknown[0][:60])}: no such principle in the constitution")
        planned, errors, notes = build(source.records, options, ws, report)
        if errors:
            raise RecordErrors(errors)
        report.notes = counted(source.notes) + counted(notes)
        new, updates = [], []
        for case in planned:
            existing = ws.cases.get(case.id)
            if existing is None:
                new.append(case)
            elif existing == case.case:
                report.unchanged += 1
            elif options.update:
                updates.append(case)
            else:
                report.differ.append(case.id)
        report.new = [c.id for c in new]
        report.updated = [c.id for c in updates]
        txn, report.files = plan_case_files(root, ws, into, new, updates)
        commit(root, txn, dry_run=dry_run)
        report.written = bool(report.files) and not dry_run
    return report
