"""What the studio holds between keystrokes: the loaded workspace, drafts, the pending order, labels.

Plain Python (no Textual). Widgets read from it and call its methods; the file writes go
through core's `authoring.save_principles` (the one principle write), all or nothing per save.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from constitution_studio.core.authoring import save_principles
from constitution_studio.core.models import Principle
from constitution_studio.core.priority_groups import priority_groups
from constitution_studio.core.source import CONSTITUTION_FILE
from constitution_studio.core.storage.journal import recover
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.storage.safe_paths import read_in_root
from constitution_studio.core.workspace import Workspace, load_root
from constitution_studio.core.yamldoc import decode, load_roundtrip
from constitution_studio.errors import BadInputError, FileChangedError
from constitution_studio.tui.drafts import Draft, fields_of, model_data, validate_fields

# The studio compares and rebases on a file's exact text: read as bytes (through the path and
# size checks of storage.safe_paths) and decoded without newline translation, so a CRLF file
# is the same text the loader kept and a save is not refused as "changed on disk".
from constitution_studio.tui.heap import bulk_load
from constitution_studio.tui.words import label_forms

SYNC_HEADER_LINES = 400  # a constitution.yaml this short parses round-trip in ~40 ms or less


@dataclass(frozen=True)
class Label:
    """One critic verdict as the studio shows it."""

    label: str
    probability: float
    cached: bool = False


@dataclass
class SaveOutcome:
    saved: list[str] = field(default_factory=list)  # relpaths written
    problems: dict[str, dict[str, str]] = field(default_factory=dict)  # pid -> field -> message


class Studio:
    """The constitution being edited: never writes anything until `save_all`."""

    def __init__(self, root: Path, workspace: Workspace | None = None) -> None:
        self.root = Path(root)
        if workspace is None:
            with bulk_load():
                workspace = load_root(self.root)
        self.ws = workspace
        self.drafts: dict[str, Draft] = {}
        self.order: list[str] = list(self.ws.priority)
        self.saved_order: list[str] = list(self.order)
        self.constitution_text: str | None = _text_or_none(self.ws, CONSTITUTION_FILE)
        # principle ID -> statement wording -> case ID -> label; keyed by wording so that the
        # "saved" and "edited" columns both find their labels, and a save keeps them valid.
        self.labels: dict[str, dict[str, dict[str, Label]]] = {}
        self._headers: tuple[str | None, tuple[str, dict[str, str]]] = (None, ("", {}))
        # Bumped when another screen's run (impact, review, trust history) scores into the cache:
        # the main screen looks its labels up again when it is shown next.
        self.scores_written = 0

    # --- reading ---------------------------------------------------------------------

    def principle_ids(self) -> list[str]:
        """Loaded principles in the pending priority order; unranked ones last, by ID."""
        seen: set[str] = set()
        out: list[str] = []
        for pid in self.order:
            if pid in self.ws.principles and pid not in seen:
                out.append(pid)
                seen.add(pid)
        out += sorted(pid for pid in self.ws.principles if pid not in seen)
        return out

    def group_headers(self) -> tuple[str, dict[str, str]]:
        """The saved file's group comments in `priority:`: (the header above the list, principle ID ->
        the header that follows it).

        A header is tied to the principle *before* it because that is how the file keeps it: a
        move carries each entry's trailing comment along (`authoring.reorder`), so the list shows
        an unsaved order the way the saved file will read. A round-trip parse costs ~0.1 ms per
        priority entry; call it from a worker when `headers_ready()` is false (see PrincipleTable).
        """
        text = self.constitution_text
        if self._headers[0] != text:
            groups = priority_groups(text) if text and "#" in text else []
            saved = self.saved_order
            position = {pid: i for i, pid in reversed(list(enumerate(saved)))}
            top, after = "", {}
            for first, header in groups:
                i = position.get(first)
                if i == 0:
                    top = header
                elif i is not None:
                    after[saved[i - 1]] = header
            self._headers = (text, (top, after))
        return self._headers[1]

    def headers_ready(self) -> bool:
        """Whether `group_headers()` is instant: already read, or a file small enough to read now."""
        text = self.constitution_text
        return self._headers[0] == text or not text or text.count("\n") < SYNC_HEADER_LINES

    def rank(self, pid: str) -> int | None:
        try:
            return self.order.index(pid) + 1
        except ValueError:
            return None

    def draft(self, pid: str) -> Draft:
        """The draft of `pid`, created from the loaded model on first use."""
        draft = self.drafts.get(pid)
        if draft is None:
            relpath = self.ws.principle_paths[pid]
            draft = Draft(pid, relpath, self.ws.text(relpath), fields_of(self.ws.principles[pid]))
            self.drafts[pid] = draft
        return draft

    def edited(self, pid: str) -> dict[str, str]:
        draft = self.drafts.get(pid)
        return draft.edited if draft is not None else fields_of(self.ws.principles[pid])

    def is_dirty(self, pid: str) -> bool:
        draft = self.drafts.get(pid)
        return draft is not None and draft.dirty

    @property
    def order_dirty(self) -> bool:
        return self.order != self.saved_order

    @property
    def dirty(self) -> bool:
        return self.order_dirty or any(d.dirty for d in self.drafts.values())

    def problems(self, pid: str) -> dict[str, str]:
        if pid not in self.drafts:
            return {}
        taken = {p for p in self.ws.principles if p != pid}
        taken |= {d.edited["id"] for k, d in self.drafts.items() if k != pid and d.dirty}
        return validate_fields(self.drafts[pid].edited, taken, self.ws.id_scheme)

    def unsaved_version(self) -> tuple[dict[str, Principle], list[str] | None]:
        """The valid unsaved edits as models (renames left out) and the unsaved order, if any.

        Lets the versions screen compare a ref with what the author sees, not only with disk.
        """
        principles = {}
        for pid, draft in self.drafts.items():
            if draft.dirty and draft.edited["id"] == pid and pid in self.ws.principles and not self.problems(pid):
                principles[pid] = self.ws.principles[pid].model_copy(update=model_data(draft.edited))
        return principles, (list(self.order) if self.order_dirty else None)

    def labels_for(self, pid: str, statement: str) -> dict[str, Label]:
        return self.labels.get(pid, {}).get(statement, {})

    def summary(self, pid: str) -> str:
        """Label counts under the saved wording in words ("2 violate · 5 comply"); '' before the critic ran."""
        forms = self.summary_forms(pid)
        return forms[0] if forms else ""

    def summary_forms(self, pid: str) -> list[str]:
        """`summary` and its shorter forms, longest first, for narrow columns (see tui/words.py)."""
        labels = self.labels_for(pid, self.ws.principles[pid].statement)
        counts: dict[str, int] = {}
        for lab in labels.values():
            counts[lab.label] = counts.get(lab.label, 0) + 1
        return label_forms(counts) if counts else []

    # --- editing ---------------------------------------------------------------------

    def set_field(self, pid: str, name: str, value: str) -> None:
        self.draft(pid).edited[name] = value

    def revert(self, pid: str) -> None:
        if pid in self.drafts:
            self.drafts[pid].revert()
        self.order = list(self.saved_order)

    def move(self, pid: str, delta: int) -> bool:
        """Move `pid` one place up (-1) or down (+1) among the ranked principles."""
        visible = [p for p in self.principle_ids() if p in self.order]
        if pid not in visible:
            return False
        pos = visible.index(pid)
        target = pos + delta
        if not 0 <= target < len(visible):
            return False
        neighbour = visible[target]
        i, j = self.order.index(pid), self.order.index(neighbour)
        self.order[i], self.order[j] = self.order[j], self.order[i]
        return True

    def record(self, pid: str, statement: str, case_id: str, label: Label) -> None:
        self.labels.setdefault(pid, {}).setdefault(statement, {})[case_id] = label

    # --- disk ------------------------------------------------------------------------

    def changed_on_disk(self) -> list[str]:
        """Relpaths of loaded files (drafts, constitution) that someone else changed."""
        changed: list[str] = []
        for draft in self.drafts.values():
            if _disk_text(self.root, draft.relpath) != draft.base_text:
                changed.append(draft.relpath)
        if self.constitution_text is not None and _disk_text(self.root, CONSTITUTION_FILE) != self.constitution_text:
            changed.append(CONSTITUTION_FILE)
        return changed

    def reload_file(self, relpath: str, keep_edits: bool) -> None:
        """Take the disk version of one file; with `keep_edits` the author's edits stay on top."""
        if relpath == CONSTITUTION_FILE:
            text = _exact_text(self.root, CONSTITUTION_FILE)
            data = load_roundtrip(text, CONSTITUTION_FILE)
            disk_order = [str(x) for x in (data.get("priority") or [])]
            self.constitution_text = text
            keep = keep_edits and self.order_dirty
            self.saved_order = disk_order
            if not keep:
                self.order = list(disk_order)
            return
        for key, draft in list(self.drafts.items()):
            if draft.relpath != relpath:
                continue
            if not (self.root / relpath).exists():
                raise BadInputError("the file was deleted on disk", path=relpath)
            text, saved = _read_fields(self.root, relpath)
            if keep_edits:
                draft.rebase(text, saved)
            else:
                self.drafts[key] = Draft(key, relpath, text, saved)
            self._adopt_principle(key, self.drafts[key], text)

    def save_all(self) -> SaveOutcome:
        """Write every dirty draft and the order; nothing at all when any draft has a problem.

        Raises FileChangedError before writing anything when a file changed on disk. Holds the
        constitution's write lock (the one every CLI writer takes) from the check to the last write.
        """
        with constitution_lock(self.root):
            recover(self.root)
            return self._save_all()

    def _save_all(self) -> SaveOutcome:
        outcome = SaveOutcome()
        dirty = {k: d for k, d in self.drafts.items() if d.dirty}
        for key in dirty:
            problems = self.problems(key)
            if problems:
                outcome.problems[key] = problems
        if outcome.problems:
            return outcome
        changed = [p for p in self.changed_on_disk() if p == CONSTITUTION_FILE or p in _paths(dirty)]
        if changed:
            raise FileChangedError("changed on disk since it was loaded", path=", ".join(changed))
        renames = {k: d.edited["id"] for k, d in dirty.items() if d.edited["id"] != k}
        if (self.order_dirty or renames) and self.constitution_text is None:
            raise BadInputError("there is no constitution.yaml to write the order to", path=CONSTITUTION_FILE)
        # Core's one principle write (the same call as `cstudio rename`): drafts, the order and
        # every relinked case file in one transaction, all or nothing.
        result = save_principles(
            self.root,
            self.ws,
            list(dirty.values()),
            order=list(self.order) if self.order_dirty else None,
            constitution_text=self.constitution_text,
        )
        for key, draft in dirty.items():
            relpath = result.paths[key]
            outcome.saved.append(relpath)
            text = result.texts[key]
            new_key = draft.edited["id"]
            fresh = Draft(new_key, relpath, text, dict(draft.edited))
            del self.drafts[key]
            self.drafts[new_key] = fresh
            self._adopt_principle(key, fresh, text)
            if relpath != draft.relpath:
                self.ws.texts.pop(draft.relpath, None)
        if result.constitution_text is not None and result.order is not None:
            self._adopt_order(result.order, result.constitution_text)
            outcome.saved.append(CONSTITUTION_FILE)
        elif self.order_dirty:  # the order asked for is the one on disk already
            self.saved_order = list(self.order)
        outcome.saved += [relpath for relpath in result.relinked if relpath not in outcome.saved]
        for old_id, new_id in renames.items():
            for cid in self.ws.links.get(new_id, []):
                case = self.ws.cases[cid]
                links = [new_id if p == old_id else p for p in case.principles]
                self.ws.cases[cid] = case.model_copy(update={"principles": links})
        return outcome

    def _adopt_order(self, target: list[str], text: str) -> None:
        self.constitution_text = text
        self.order = target
        self.saved_order = list(target)
        if self.ws.constitution is not None:
            self.ws.constitution = self.ws.constitution.model_copy(update={"priority": list(target)})

    def _adopt_principle(self, old_key: str, draft: Draft, text: str) -> None:
        """Make the loaded model match what is now on disk for one principle."""
        principle = Principle.model_validate(model_data(draft.saved))
        if old_key != principle.id:
            self.ws.principles.pop(old_key, None)
            self.ws.principle_paths.pop(old_key, None)
            links = self.ws.links.pop(old_key, [])
            self.ws.links[principle.id] = links
            if old_key in self.labels:
                self.labels[principle.id] = self.labels.pop(old_key)
        self.ws.principles[principle.id] = principle
        self.ws.principle_paths[principle.id] = draft.relpath
        self.ws.texts[draft.relpath] = text

    def adopt_workspace(self, ws: Workspace) -> None:
        """Swap in a freshly loaded workspace (after a save or reload), keeping dirty drafts."""
        self.ws = ws
        self.drafts = {k: d for k, d in self.drafts.items() if d.dirty and k in ws.principles}
        self.constitution_text = _text_or_none(ws, CONSTITUTION_FILE)
        if not self.order_dirty:
            self.order = list(ws.priority)
        self.saved_order = list(ws.priority)


def _paths(drafts: dict[str, Draft]) -> set[str]:
    return {d.relpath for d in drafts.values()}


def _exact_text(root: Path, relpath: str) -> str:
    """A file's exact text (CRLF and BOM kept); BadInputError when it is missing or unreadable."""
    raw = read_in_root(root, relpath)
    if raw is None:
        raise BadInputError("the file was deleted on disk", path=relpath)
    return decode(raw, relpath)


def _disk_text(root: Path, relpath: str) -> str | None:
    """`_exact_text`, or None when the file is gone or cannot be read as text (a change too)."""
    try:
        return _exact_text(root, relpath)
    except BadInputError:
        return None


def _read_fields(root: Path, relpath: str) -> tuple[str, dict[str, str]]:
    """The file's exact text and field values; BadInputError when it no longer parses."""
    text = _exact_text(root, relpath)
    data = load_roundtrip(text, relpath)
    try:
        principle = Principle.model_validate(dict(data))
    except (ValidationError, TypeError, ValueError) as exc:
        raise BadInputError(
            f"the file on disk is not a valid principle ({exc.__class__.__name__})", path=relpath
        ) from None
    return text, fields_of(principle)


def _text_or_none(ws: Workspace, relpath: str) -> str | None:
    """The file's text as loaded (read lazily by the workspace), or None when it is missing."""
    try:
        return ws.text(relpath)
    except FileNotFoundError:
        return None
