"""Where imported entries land, and the one commit: validated as a whole, then all files or none.

`plan_case_files` appends new cases to the `--into` file (created when missing) and rolls
over to `NAME-2.yaml`, `NAME-3.yaml`, ... before a file would pass `FILL` bytes (constitution
files are refused above 1 MiB), and replaces updated cases in the files they live in. Every
planned file is then loaded *with* the files on disk (`PlannedSource`) and validated exactly as
`cstudio validate` would; an error refuses the import with validate's own lines and writes
nothing. The files go through one `Transaction` (journalled, locked, all or nothing).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from constitution_studio.core.case_authoring import case_item
from constitution_studio.core.imports.report import FileChange
from constitution_studio.core.source import DirSource
from constitution_studio.core.storage.journal import Transaction
from constitution_studio.core.storage.safe_paths import MAX_FILE_BYTES
from constitution_studio.core.workspace import Workspace, load_workspace
from constitution_studio.core.yamldoc import YamlDocument, dump_roundtrip
from constitution_studio.errors import BadInputError, InvalidConstitutionError

if TYPE_CHECKING:
    from constitution_studio.core.imports.cases import Planned

FILL = MAX_FILE_BYTES - 64 * 1024  # room left for hand edits after an import
CASES_HEADER = "# Eval cases imported by `cstudio import` (docs/import.md).\n"
MAX_FILES = 1000


class PlannedSource(DirSource):
    """The work tree as it would be with `planned` written: what validation reads before a commit."""

    def __init__(self, root: Path, planned: dict[str, bytes]) -> None:
        super().__init__(root)
        self._planned = planned
        self._bytes.update(planned)

    def list_yaml(self, folder: str) -> list[str]:
        listed = set(super().list_yaml(folder))
        listed |= {rel for rel in self._planned if PurePosixPath(rel).parent == PurePosixPath(folder)}
        return sorted(listed)


class Plan:
    """The writes of one import, held in a Transaction and as bytes (for validation and --dry-run)."""

    def __init__(self, root: Path) -> None:
        self.txn = Transaction(root)
        self.writes: dict[str, bytes] = {}
        self.docs: dict[str, YamlDocument] = {}

    def doc(self, relpath: str) -> YamlDocument | None:
        """The file's round-trip document (read through the transaction), or None when absent."""
        if relpath not in self.docs:
            raw = self.txn.read(relpath)
            if raw is None:
                return None
            self.docs[relpath] = YamlDocument.from_bytes(self.txn.root / relpath, raw, relpath)
        return self.docs[relpath]

    def write(self, relpath: str, data: bytes) -> None:
        self.txn.write(relpath, data)
        self.writes[relpath] = data


def _cases_of(doc: YamlDocument) -> CommentedSeq:
    cases = doc.data.get("cases") if isinstance(doc.data, CommentedMap) else None
    if not isinstance(cases, CommentedSeq):
        raise BadInputError("the file has no `cases:` list", path=doc.display_path)
    if not cases and cases.fa.flow_style():
        cases.fa.set_block_style()
    return cases


def item_texts(items: list[CommentedMap]) -> list[str]:
    """Each item as it is written in a file's `cases:` list (house style), from one dump."""
    lines = dump_roundtrip(CommentedMap(cases=CommentedSeq(items))).splitlines(keepends=True)[1:]
    chunks: list[str] = []
    for line in lines:
        if line.startswith("  - ") or not chunks:
            chunks.append(line)
        else:
            chunks[-1] += line
    if len(chunks) == len(items):
        return chunks
    return ["".join(dump_roundtrip(CommentedMap(cases=CommentedSeq([i]))).splitlines(keepends=True)[1:]) for i in items]


def _rollover(into: str, n: int) -> str:
    path = PurePosixPath(into)
    return into if n == 1 else str(path.with_name(f"{path.stem}-{n}{path.suffix}"))


def plan_case_files(
    root: Path, ws: Workspace, into: str, new: list[Planned], updates: list[Planned]
) -> tuple[Plan, list[FileChange]]:
    """The writes that add `new` (into `into`, rolling over) and replace `updates` in place."""
    plan = Plan(root)
    changes: dict[str, FileChange] = {}
    for case in updates:
        relpath = ws.case_paths[case.id]
        doc = plan.doc(relpath)
        assert doc is not None, relpath
        cases = _cases_of(doc)
        index = next(i for i, item in enumerate(cases) if isinstance(item, CommentedMap) and item.get("id") == case.id)
        cases[index] = case_item(case.data)
        changes.setdefault(relpath, FileChange(path=relpath, action="update")).updated.append(case.id)
    items = [case_item(c.data) for c in new]
    texts = item_texts(items) if items else []
    start, n = 0, 1
    while start < len(items):
        if n > MAX_FILES:
            raise BadInputError(f"the import would need more than {MAX_FILES} case files; split the input")
        relpath = _rollover(into, n)
        n += 1
        doc = plan.doc(relpath)
        size = len(doc.original) if doc is not None else len(CASES_HEADER) + len("cases:\n")
        end = start
        while end < len(items) and size + len(texts[end].encode()) <= FILL:
            size += len(texts[end].encode())
            end += 1
        if end == start:
            if doc is None:
                raise BadInputError(f"case {new[start].id} ({new[start].where}) is too large for a case file (1 MiB)")
            continue  # this file is full: the next name
        ids = [c.id for c in new[start:end]]
        if doc is None:
            plan.txn.expect(relpath, None)
            plan.write(relpath, (CASES_HEADER + "cases:\n" + "".join(texts[start:end])).encode("utf-8"))
            changes[relpath] = FileChange(path=relpath, action="create", added=ids)
        else:
            _cases_of(doc).extend(items[start:end])
            change = changes.setdefault(relpath, FileChange(path=relpath, action="append"))
            change.added += ids
        start = end
    for relpath, doc in plan.docs.items():
        plan.write(relpath, doc.encoded())
    return plan, [changes[k] for k in sorted(changes)]


def validated(root: Path, plan: Plan) -> Workspace:
    """The constitution as it would be after the plan; InvalidConstitutionError (validate's lines) if invalid."""
    ws = load_workspace(PlannedSource(root, plan.writes))
    if ws.errors:
        raise InvalidConstitutionError(ws.errors)  # type: ignore[arg-type]
    return ws


def commit(root: Path, plan: Plan, *, dry_run: bool) -> list[str]:
    """Validate the planned constitution, then (unless `dry_run`) write it in one transaction."""
    if not plan.writes:
        return []
    validated(root, plan)
    return [] if dry_run else plan.txn.commit()
