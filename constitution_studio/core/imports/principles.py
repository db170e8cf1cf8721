"""Principles from a Markdown document: one per heading at `--level`, its prose as the statement.

The ID is the heading's anchor when it fits the constitution's principle ID pattern and can
be a file name on Linux, macOS and Windows — an explicit `{#ID}` (or `<a id="ID">`), else an
ID the heading starts with (`## HARM-10: Avoid harm`), else the heading's slug — or, with
`--ids generate` (and `auto` when no anchor fits), `PREFIX-NN`: the existing principle with
the same title keeps its ID (so a re-import matches), others take the next free number.
The title is the heading's text; new principles enter the priority order in the document's
order (or `--order`), after `--after ID` or last. An existing principle with the same title
and statement is unchanged; other content under its ID is kept unless `--update`.
Everything that is not a principle (the preamble, headings at other levels, empty sections,
code blocks) is listed as skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from constitution_studio.core.authoring import check_title, insert_ids
from constitution_studio.core.ids import DEFAULT_ID_PATTERN, case_clash, case_key, id_scheme
from constitution_studio.core.ids import file_name_problem as file_name_problem  # where imports once had it
from constitution_studio.core.imports.markdown import Section, inline, prose, sections_at
from constitution_studio.core.imports.records import display, read_document
from constitution_studio.core.imports.report import FileChange, ImportReport, RecordErrors, Skipped
from constitution_studio.core.models import Principle
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.source import CONSTITUTION_FILE, PRINCIPLES_DIR
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.workspace import Workspace
from constitution_studio.core.yamldoc import dump_roundtrip
from constitution_studio.errors import BadInputError

MAX_PRINCIPLES = 2000
MAX_STATEMENT = 50_000


@dataclass(frozen=True)
class PrincipleOptions:
    level: int = 2
    ids: Literal["auto", "anchor", "generate"] = "auto"
    id_prefix: str = "P"
    status: Literal["active", "draft"] = "active"
    after: str | None = None
    order: tuple[str, ...] = ()
    update: bool = False


def id_pattern(ws: Workspace) -> str:
    """The constitution's principle ID pattern (core/ids.py; the one place imports read it)."""
    return ws.id_scheme.pattern if ws.id_scheme is not None else DEFAULT_ID_PATTERN


def _fits(candidate: str | None, pattern: str) -> bool:
    """An ID under the scheme that can be a file name everywhere (the repository's pattern runs
    only in core/ids.py's linear-time engine, never in Python's backtracking `re`)."""
    return bool(candidate) and id_scheme(pattern).problem(candidate or "") is None


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _anchor_and_title(section: Section, pattern: str) -> tuple[str | None, str, list[str]]:
    """(the first anchor candidate that fits, the title, every candidate tried)."""
    heading = section.heading
    text = inline(heading.text).strip()
    lead = re.match(r"^(\S+?)([:.]?)(?:\s+[-:—–]\s*|\s+|$)(.*)$", text)
    # a leading ID looks like one (`HARM-10:`, `P-3.2`, `avoid_info_hazards:`), not like a first word
    looks = lead is not None and (bool(re.search(r"[0-9_.\-]", lead.group(1))) or lead.group(2) == ":")
    candidates = [heading.anchor, lead.group(1) if lead and looks else None, slug(text)]
    for i, candidate in enumerate(candidates):
        if candidate and _fits(candidate, pattern):
            title = (lead.group(3) or text) if i == 1 and lead else text
            return candidate, title.strip() or text, [c for c in candidates if c]
    return None, text, [c for c in candidates if c]


def _generated(prefix: str, n: int, pattern: str) -> str | None:
    for shape in (f"{prefix}-{n:02d}", f"{prefix.lower()}_{n:02d}", f"{prefix.lower()}-{n:02d}", f"{prefix}{n:02d}"):
        if _fits(shape, pattern):
            return shape
    return None


@dataclass
class Entry:
    id: str
    title: str
    statement: str
    line: int


def _entries(
    sections: list[Section], ws: Workspace, options: PrincipleOptions, name: str, report: ImportReport
) -> list[Entry]:
    pattern = id_pattern(ws)
    by_title = {p.title.strip().lower(): pid for pid, p in ws.principles.items()}
    taken = {case_key(pid) for pid in ws.principles}
    entries: list[Entry] = []
    errors: list[str] = []
    pending: list[tuple[Section, str, str]] = []  # sections still needing a generated ID
    for section in sections:
        where = f"{name}:{section.heading.line}"
        statement, dropped = prose(section.lines)
        for what in sorted(set(dropped)):
            report.notes.append(f"{where}: {what} left out of the statement")
        anchor, title, tried = _anchor_and_title(section, pattern)
        if not statement:
            report.skipped.append(Skipped(where=where, reason=f"no prose under {title[:60]!r}"))
            continue
        if len(statement) > MAX_STATEMENT:
            report.skipped.append(Skipped(where=where, reason=f"statement longer than {MAX_STATEMENT:,} characters"))
            continue
        try:
            check_title(title[:200])
        except BadInputError as exc:
            report.skipped.append(Skipped(where=where, reason=f"title: {exc.message}"))
            continue
        title = title[:200]
        if options.ids != "generate" and anchor is not None:
            entries.append(Entry(anchor, title, statement, section.heading.line))
        elif options.ids == "anchor":
            errors.append(f"{where}: error: no anchor fits the ID pattern {pattern} (tried {', '.join(tried)[:120]})")
        else:
            pending.append((section, title, statement))
    for entry in entries:
        if case_clash(entry.id, [e.id for e in entries if e is not entry]):
            errors.append(
                f"{name}:{entry.line}: error: ID {entry.id} is used by two headings (or differs only in case)"
            )
    for entry in entries:
        other = case_clash(entry.id, ws.principles)
        if other is not None and other != entry.id:
            errors.append(f"{name}:{entry.line}: error: ID {entry.id} differs only in case from principle {other}")
    taken |= {case_key(e.id) for e in entries}
    n = 0
    for section, title, statement in pending:
        pid = by_title.get(title.lower())
        while pid is None:
            n += 1
            candidate = _generated(options.id_prefix, n, pattern)
            if candidate is None:
                raise BadInputError(
                    f"--id-prefix {options.id_prefix}: generated IDs do not fit the ID pattern {pattern}"
                )
            if case_key(candidate) not in taken:
                pid = candidate
        taken.add(case_key(pid))
        entries.append(Entry(pid, title, statement, section.heading.line))
    if errors:
        raise RecordErrors(errors)
    return sorted(entries, key=lambda e: e.line)


def principle_text(entry: Entry, status: str, source: str) -> bytes:
    """A new principle file in the house style, with a comment naming where it came from."""
    data = CommentedMap()
    data["id"] = entry.id
    data["title"] = entry.title
    data["statement"] = LiteralScalarString(entry.statement) if "\n" in entry.statement else entry.statement
    data["status"] = status
    data["tags"] = CommentedSeq(["imported"])
    data["tags"].fa.set_flow_style()
    header = f"# Imported by `cstudio import principles` from {sanitize(Path(source).name)}, line {entry.line}.\n"
    return (header + dump_roundtrip(data)).encode("utf-8")


def _priority_order(new_ids: list[str], order: tuple[str, ...]) -> list[str]:
    unknown = [i for i in order if i not in new_ids]
    if unknown:
        raise BadInputError(f"--order {sanitize(unknown[0][:60])}: not a principle this import adds")
    return [*order, *(i for i in new_ids if i not in order)]


def import_principles(root: Path, source: Path, options: PrincipleOptions, *, dry_run: bool) -> ImportReport:
    """Plan, validate and (unless `dry_run`) write the principles of a Markdown document."""
    from constitution_studio.core.imports.cases import load_checked
    from constitution_studio.core.imports.writer import Plan, commit

    if not 1 <= options.level <= 6:
        raise BadInputError(f"--level {options.level}: a Markdown heading level is 1 to 6")
    name = display(source)
    text = read_document(source)
    sections, skipped = sections_at(text, options.level)
    if len(sections) > MAX_PRINCIPLES:
        raise BadInputError(f"{name} has {len(sections)} level-{options.level} headings; the limit is {MAX_PRINCIPLES}")
    report = ImportReport(kind="principles", source=name, dry_run=dry_run, written=False, records=len(sections))
    report.skipped += [Skipped(where=f"{name}:{line}", reason=why) for line, why in skipped]
    with constitution_lock(root):
        ws = load_checked(root)
        if options.after is not None and options.after not in ws.priority:
            raise BadInputError(f"--after {sanitize(options.after[:60])}: no such principle in the priority list")
        entries = _entries(sections, ws, options, name, report)
        plan = Plan(root)
        new: list[Entry] = []
        changes: list[FileChange] = []
        for entry in entries:
            existing: Principle | None = ws.principles.get(entry.id)
            if existing is None:
                new.append(entry)
            elif existing.title == entry.title and existing.statement == entry.statement:
                report.unchanged += 1
            elif options.update:
                path = ws.principle_paths[entry.id]
                doc = plan.doc(path)
                assert doc is not None
                doc.set(["title"], entry.title)
                doc.set(["statement"], entry.statement)
                report.updated.append(entry.id)
                changes.append(FileChange(path=path, action="update", updated=[entry.id]))
            else:
                report.differ.append(entry.id)
        for entry in new:
            rel = f"{PRINCIPLES_DIR}/{entry.id}.yaml"
            plan.txn.expect(rel, None)
            plan.write(rel, principle_text(entry, options.status, name))
            changes.append(FileChange(path=rel, action="create", added=[entry.id]))
        if new:
            doc = plan.doc(CONSTITUTION_FILE)
            assert doc is not None
            priority = doc.data.get("priority")
            if not isinstance(priority, CommentedSeq):
                raise BadInputError("constitution.yaml has no `priority:` list", path=CONSTITUTION_FILE)
            at = list(priority).index(options.after) + 1 if options.after else len(priority)
            insert_ids(priority, at, _priority_order([e.id for e in new], options.order))
            changes.append(FileChange(path=CONSTITUTION_FILE, action="update", added=[e.id for e in new]))
        elif options.order:
            _priority_order([], options.order)
        for rel, doc in plan.docs.items():
            plan.write(rel, doc.encoded())
        report.new = [e.id for e in new]
        report.files = sorted(changes, key=lambda c: c.path)
        commit(root, plan, dry_run=dry_run)
        report.written = bool(report.files) and not dry_run
    return report
