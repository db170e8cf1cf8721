"""Load one version of a constitution into typed models plus findings.

Loading never raises for bad input: every problem becomes a `Finding` with file and line,
and whatever did load is still returned, so the TUI can open a broken constitution and
`validate` can report every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ValidationError

from constitution_studio.core.conversation import ROLES
from constitution_studio.core.cross_checks import cross_check
from constitution_studio.core.error_words import worded
from constitution_studio.core.findings import CODES, Finding, Severity
from constitution_studio.core.ids import (
    DEFAULT_ID_PATTERN,
    SAFE_ID_PATTERN,
    IdScheme,
    case_key,
    file_name_problem,
    id_scheme,
    pattern_problem,
)
from constitution_studio.core.models import PROMPT_FORMS, CaseFile, Constitution, EvalCase, Principle
from constitution_studio.core.source import CASES_DIR, CONSTITUTION_FILE, PRINCIPLES_DIR, DirSource, Source
from constitution_studio.core.storage.safe_paths import UnsafeFileError
from constitution_studio.core.yamldoc import Locator, YamlSyntaxError, decode, load_fast
from constitution_studio.errors import BadInputError, NoConstitutionError

LocateFn = Callable[[Sequence[str | int]], tuple[int, int]]


@dataclass
class Workspace:
    """One loaded version: models keyed by ID, where each came from, and the findings."""

    label: str
    constitution: Constitution | None
    principles: dict[str, Principle] = field(default_factory=dict)
    principle_paths: dict[str, str] = field(default_factory=dict)
    cases: dict[str, EvalCase] = field(default_factory=dict)
    case_paths: dict[str, str] = field(default_factory=dict)
    case_indexes: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict, repr=False)
    broken_ids: set[str] = field(default_factory=set, repr=False)  # principle files that did not load
    id_scheme: IdScheme | None = field(default=None, repr=False)  # None: constitution.yaml's id_pattern unusable
    source: Source | None = field(default=None, repr=False)
    _locators: dict[str, Locator] = field(default_factory=dict, repr=False)
    _links: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def priority(self) -> list[str]:
        return list(self.constitution.priority) if self.constitution else []

    def ordered_principle_ids(self) -> list[str]:
        """Loaded principles in priority order; those outside the order come last, by ID."""
        seen: set[str] = set()
        ordered = []
        for pid in self.priority:
            if pid in self.principles and pid not in seen:
                ordered.append(pid)
                seen.add(pid)
        ordered += sorted(pid for pid in self.principles if pid not in seen)
        return ordered

    def rank(self, principle_id: str) -> int | None:
        return self.constitution.rank(principle_id) if self.constitution else None

    @property
    def links(self) -> dict[str, list[str]]:
        """Principle ID -> IDs of the cases linked to it, in file order."""
        if self._links is None:
            links: dict[str, list[str]] = {pid: [] for pid in self.principles}
            for case in self.cases.values():
                for pid in dict.fromkeys(case.principles):
                    links.setdefault(pid, []).append(case.id)
            self._links = links
        return self._links

    def cases_for(self, principle_id: str) -> list[EvalCase]:
        return [self.cases[cid] for cid in self.links.get(principle_id, [])]

    def text(self, relpath: str) -> str:
        """A file's text as loaded: the bytes the models were parsed from (the source keeps them),
        decoded lazily because files that came from the parse cache were never decoded."""
        if relpath not in self.texts:
            try:
                raw = self.source.read(relpath) if self.source is not None else None
            except BadInputError:
                raw = None
            if raw is None:
                raise FileNotFoundError(relpath)
            self.texts[relpath] = raw.decode("utf-8", errors="replace")  # BOM kept: exact text
        return self.texts[relpath]

    def locate(self, relpath: str, loc: Sequence[str | int]) -> tuple[int, int]:
        """Line and column of `loc` in one of this version's files (parsed lazily)."""
        if relpath not in self._locators:
            try:
                text = self.text(relpath)
            except FileNotFoundError:
                text = ""
            self._locators[relpath] = Locator(text)
        return self._locators[relpath](loc)

    def report(
        self, severity: Severity, relpath: str, loc: Sequence[str | int], code: str, message: str, **ids: str
    ) -> None:
        """Add a finding at `loc` (a path into the file's YAML) of one of this version's files."""
        line, col = self.locate(relpath, loc)
        self.findings.append(
            Finding(path=relpath, line=line, col=col, severity=severity, code=code, message=message, **ids)
        )

    def case_location(self, case_id: str) -> tuple[str, int]:
        """File and line of a case's list item."""
        path = self.case_paths[case_id]
        return path, self.locate(path, ("cases", self.case_indexes[case_id]))[0]


# --- helpers ---------------------------------------------------------------------------


def _dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _finding_from_error(err: Any, relpath: str, locate: LocateFn, prefix: Sequence[str | int] = ()) -> Finding:
    loc = _without_form_tags(tuple(prefix) + tuple(err["loc"]))
    etype = err["type"]
    ctx = err.get("ctx") or {}
    if isinstance(ctx.get("turn"), int):
        loc += (ctx["turn"],)  # a conversation rule names the turn it breaks (and the key)
        loc += (ctx["key"],) if isinstance(ctx.get("key"), str) else ()
    if etype == "gold-kind":
        loc += ("gold",)  # raised by the case's model validator; point at the key
    elif etype == "gold-link":
        loc += ("gold", err["ctx"]["principle"])
    code = etype if etype in CODES else "schema"
    if etype == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") == SAFE_ID_PATTERN:
        code = "id-file-name"  # a principle ID (file, priority entry, link) that no file can be named
    where = _dotted(loc)
    if etype == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
    elif etype == "missing":
        message = f"missing required key '{loc[-1]}'"
    elif err.get("worded") and etype != "literal_error":
        message = err["msg"]
    elif etype == "literal_error" and loc and loc[-1] == "role":
        message = f"{where}: unknown role {err['input']!r} (use {', '.join(ROLES)})"
    elif code == "id-file-name" and etype == "string_pattern_mismatch":
        problem = file_name_problem(str(err["input"])) or "cannot be a file name"
        message = f"{where}: principle id {err['input']!r} {problem}"
    elif code != "schema" or err.get("worded"):
        message = err["msg"]
    else:
        message = f"{where}: {err['msg']}" if where else err["msg"]
    line, col = locate(loc)
    return Finding(path=relpath, line=line, col=col, severity=Severity.ERROR, code=code, message=message)


def _without_form_tags(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """`cases[0].prompt.turns[1]` -> `cases[0].prompt[1]`: the prompt's form tag is no YAML key."""
    return tuple(p for i, p in enumerate(loc) if not (i and loc[i - 1] == "prompt" and p in PROMPT_FORMS))


def _read_yaml(source: Source, relpath: str, ws: Workspace) -> Any:
    """Bytes -> text -> data, turning each failure into a finding; None when unusable."""
    cache = getattr(source, "parse_cache", None)
    fingerprint = source.fingerprint(relpath) if cache is not None else None
    if cache is not None and fingerprint is not None:
        cached = cache.get(relpath, fingerprint)
        if cached is not None:
            return cached
    try:
        raw = source.read(relpath)
    except UnsafeFileError as exc:
        ws.findings.append(
            Finding(path=relpath, line=1, col=1, severity=Severity.ERROR, code=exc.code, message=exc.message)
        )
        return None
    if raw is None:
        return None
    try:
        text = decode(raw, relpath)
    except BadInputError as exc:
        code = "file-too-large" if "limit" in exc.message else "not-utf8"
        ws.findings.append(
            Finding(path=relpath, line=exc.line or 1, col=1, severity=Severity.ERROR, code=code, message=exc.message)
        )
        return None
    ws.texts[relpath] = text
    try:
        data = load_fast(text, relpath)
    except YamlSyntaxError as exc:
        ws.findings.append(
            Finding(
                path=relpath,
                line=exc.line or 1,
                col=exc.col,
                severity=Severity.ERROR,
                code=exc.code,
                message=exc.message,
            )
        )
        return None
    if data is None:
        ws.findings.append(
            Finding(
                path=relpath,
                line=1,
                col=1,
                severity=Severity.WARNING if relpath.startswith(CASES_DIR) else Severity.ERROR,
                code="empty-file",
                message="the file is empty (or holds only comments)",
            )
        )
        return None
    if cache is not None and fingerprint is not None and data is not None:
        cache.put(relpath, fingerprint, data)
    return data


def _validate(model: type[BaseModel], data: Any, relpath: str, ws: Workspace, prefix: Sequence[str | int] = ()) -> Any:
    try:
        return model.model_validate(data)
    except RecursionError:
        ws.findings.append(
            Finding(
                path=relpath, line=1, col=1, severity=Severity.ERROR, code="yaml-syntax", message="nested too deeply"
            )
        )
        return None
    except ValidationError as exc:

        def locate(loc: Sequence[str | int]) -> tuple[int, int]:
            return ws.locate(relpath, loc)

        def raw(loc: Sequence[str | int]) -> str | None:
            return _scalar_text(ws, relpath, (*prefix, *loc))

        for err in worded(exc.errors(), data, raw, prefix):
            ws.findings.append(_finding_from_error(err, relpath, locate, prefix))
        return None


def _scalar_text(ws: Workspace, relpath: str, loc: Sequence[str | int]) -> str | None:
    """The value of a `key: value` line as written (e.g. `1.10`, which YAML reads as 1.1)."""
    if not loc or not isinstance(loc[-1], str):
        return None
    line, col = ws.locate(relpath, loc)
    try:
        text = ws.text(relpath).splitlines()[line - 1][col - 1 :]
    except (FileNotFoundError, IndexError):
        return None
    key, sep, value = text.partition(":")
    if not sep or key.strip().strip("'\"") != loc[-1]:
        return None
    value = value.split(" #", 1)[0].strip()
    return value if value and len(value) <= 40 and value[0] not in "[{&*!|>'\"" else None


def _error(ws: Workspace, relpath: str, loc: Sequence[str | int], code: str, message: str, **ids: str) -> None:
    ws.report(Severity.ERROR, relpath, loc, code, message, **ids)


def _warning(ws: Workspace, relpath: str, loc: Sequence[str | int], code: str, message: str, **ids: str) -> None:
    ws.report(Severity.WARNING, relpath, loc, code, message, **ids)


# --- loading ---------------------------------------------------------------------------


def _load_constitution(source: Source, ws: Workspace) -> None:
    data = _read_yaml(source, CONSTITUTION_FILE, ws)
    if data is None:
        if not any(f.path == CONSTITUTION_FILE for f in ws.findings):
            ws.findings.append(
                Finding(
                    path=CONSTITUTION_FILE,
                    line=1,
                    col=1,
                    severity=Severity.ERROR,
                    code="missing-constitution",
                    message="principles/constitution.yaml is missing",
                )
            )
        return
    ws.constitution = _validate(Constitution, data, CONSTITUTION_FILE, ws)
    # the team's ID scheme; from the raw file when another key broke the model, none when unusable
    raw = data.get("id_pattern", DEFAULT_ID_PATTERN) if isinstance(data, dict) else None
    pattern = ws.constitution.id_pattern if ws.constitution else raw
    if isinstance(pattern, str) and pattern_problem(pattern) is None:
        ws.id_scheme = id_scheme(pattern)


def _load_principles(source: Source, ws: Workspace) -> None:
    keys: dict[str, str] = {}  # case_key -> the first ID with it
    for relpath in source.list_yaml(PRINCIPLES_DIR):
        if relpath == CONSTITUTION_FILE:
            continue
        data = _read_yaml(source, relpath, ws)
        principle = _validate(Principle, data, relpath, ws) if data is not None else None
        if principle is None:
            # The file exists but did not load: its ID (from the file name) is still known, so
            # findings elsewhere do not claim "there is no principles/ID.yaml" as well.
            ws.broken_ids.add(PurePosixPath(relpath).stem)
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                ws.broken_ids.add(data["id"])
            continue
        stem = PurePosixPath(relpath).stem
        if ws.id_scheme is not None and not ws.id_scheme.matches(principle.id):
            _error(
                ws, relpath, ("id",), "id-pattern", str(ws.id_scheme.problem(principle.id)), principle_id=principle.id
            )
            ws.broken_ids |= {stem, principle.id}  # as a file that did not load: no findings follow from it
            continue
        clash = keys.get(case_key(principle.id))
        if clash is not None and clash != principle.id:
            first = ws.principle_paths[clash]
            _error(
                ws,
                relpath,
                ("id",),
                "id-case-clash",
                f"id {principle.id} differs only in case from {clash} ({first}:{ws.locate(first, ('id',))[0]}); "
                "on macOS and Windows both are one file",
                principle_id=principle.id,
            )
            ws.broken_ids |= {stem, principle.id}
            continue
        if principle.id != stem:
            _error(
                ws,
                relpath,
                ("id",),
                "id-filename-mismatch",
                f"id {principle.id} does not match the file name {PurePosixPath(relpath).name}"
                f" (rename the file to {principle.id}.yaml)",
                principle_id=principle.id,
            )
        keys.setdefault(case_key(principle.id), principle.id)
        if principle.id in ws.principles:
            first = ws.principle_paths[principle.id]
            first_line = ws.locate(first, ("id",))[0]
            _error(
                ws,
                relpath,
                ("id",),
                "duplicate-principle-id",
                f"principle id {principle.id} is also declared at {first}:{first_line}",
                principle_id=principle.id,
            )
            continue
        ws.principles[principle.id] = principle
        ws.principle_paths[principle.id] = relpath


def _load_cases(source: Source, ws: Workspace) -> None:
    for relpath in source.list_yaml(CASES_DIR):
        data = _read_yaml(source, relpath, ws)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            _validate(CaseFile, data, relpath, ws)  # reports the shape problem with its line
            continue
        extra = [k for k in data if k != "cases"]
        for key in extra:
            _error(ws, relpath, (key,), "schema", f"unknown key '{key}' (a case file has only `cases:`)")
        try:  # fast path: the whole file at once
            cases = CaseFile.model_validate({"cases": data["cases"]}).cases
            loaded = list(enumerate(cases))
        except ValidationError:
            loaded = []
            for index, item in enumerate(data["cases"]):
                case = _validate(EvalCase, item, relpath, ws, prefix=("cases", index))
                if case is not None:
                    loaded.append((index, case))
        for index, case in loaded:
            if case.id in ws.cases:
                first = ws.case_paths[case.id]
                _, first_line = ws.case_location(case.id)
                _error(
                    ws,
                    relpath,
                    ("cases", index, "id"),
                    "duplicate-case-id",
                    f"case id {case.id} is also used at {first}:{first_line}",
                    case_id=case.id,
                )
                continue
            ws.cases[case.id] = case
            ws.case_paths[case.id] = relpath
            ws.case_indexes[case.id] = index


def load_workspace(source: Source) -> Workspace:
    """Load and validate one version; problems become findings, never exceptions."""
    ws = Workspace(label=source.label, constitution=None, source=source)
    _load_constitution(source, ws)
    _load_principles(source, ws)
    _load_cases(source, ws)
    _odd_names(source, ws)
    if not _refused_folders(source, ws):
        cross_check(ws)  # comparing against a folder that was not read would only repeat its finding
    ws.findings.sort(key=Finding.root_cause_first)
    return ws


def _refused_folders(source: Source, ws: Workspace) -> bool:
    """A folder refused as a whole (a symlink out of the root) is one finding, replacing those about
    files in it (e.g. "constitution.yaml is missing"), which only repeat it; whether there was one."""
    folder_problem = getattr(source, "folder_problem", None)  # DirSource and GitSource have one
    if folder_problem is None:
        return False
    refused = False
    for folder in (PRINCIPLES_DIR, CASES_DIR):
        problem = folder_problem(folder)
        if problem is not None:
            refused = True
            ws.findings = [f for f in ws.findings if not f.path.startswith(f"{folder}/")]
            ws.findings.append(
                Finding(path=folder, line=1, col=1, severity=Severity.ERROR, code=problem.code, message=problem.message)
            )
    return refused


def _odd_names(source: Source, ws: Workspace) -> None:
    """Files like `X.YAML` are not loaded (the rule is lower-case .yaml / .yml): say so, once each."""
    odd = getattr(source, "odd_names", {})
    for folder in (PRINCIPLES_DIR, CASES_DIR):
        for name in odd.get(folder, []):
            ws.findings.append(
                Finding(
                    path=f"{folder}/{name}",
                    line=1,
                    col=1,
                    severity=Severity.WARNING,
                    code="ignored-file",
                    message="not loaded: constitution files end in lower-case .yaml or .yml",
                )
            )


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding principles/constitution.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONSTITUTION_FILE).is_file():
            return folder
    raise NoConstitutionError(
        f"no {CONSTITUTION_FILE} in {start} or its parents; start one here with `cstudio init` "
        "(or run inside a constitution folder, or pass --root DIR)"
    )


def resolve_root(root: Path | None) -> Path:
    """`--root` as given (must exist), or the nearest constitution above the current folder."""
    if root is None:
        return find_root(Path.cwd())
    root = Path(root)
    if not root.is_dir():
        raise NoConstitutionError(
            f"--root {root} is not a folder; `cstudio init {root}` creates one with a constitution"
        )
    if not (root / PRINCIPLES_DIR).is_dir():
        raise NoConstitutionError(
            f"{root} has no {PRINCIPLES_DIR}/ folder (expected {CONSTITUTION_FILE}); "
            f"start a constitution there with `cstudio init {root}`"
        )
    return root.resolve()


def id_pattern_of(root: Path) -> str:
    """The `id_pattern` of the constitution at `root` (its default when it sets none); reads only
    constitution.yaml; BadInputError with the finding's line when the pattern is unusable."""
    source = DirSource(root, parse_cache=False)  # one small file: no state folder for it
    ws = Workspace(label=source.label, constitution=None, source=source)
    _load_constitution(source, ws)
    if ws.id_scheme is None:
        bad = next((f for f in ws.findings if f.path == CONSTITUTION_FILE), None)
        message = bad.message if bad is not None else "constitution.yaml has no usable id_pattern"
        raise BadInputError(message, path=CONSTITUTION_FILE, line=bad.line if bad is not None else None)
    return ws.id_scheme.pattern


def load_root(root: Path) -> Workspace:
    return load_workspace(DirSource(root))
