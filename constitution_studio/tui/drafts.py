"""Unsaved edits of one principle: the field rules and the draft now live in core
(`core/principle_fields.py`); the one save is core's `core/authoring.save_principles`.

`write_draft` is the studio's remaining second write path (it names a renamed file `.yaml`
whatever the old suffix, and does not refuse a broken `NEW.yml`): the studio's save moves to
`save_principles`, and this module goes with it.
"""

from __future__ import annotations

from pathlib import Path

from constitution_studio.core.principle_fields import (
    FIELDS,
    FOLD_WIDTH,
    OPTIONAL,
    Fields,
    apply_fields,
    fields_of,
    fold_positions,
    model_data,
    split_tags,
    validate_fields,
)
from constitution_studio.core.principle_fields import PrincipleDraft as Draft
from constitution_studio.core.source import PRINCIPLES_DIR
from constitution_studio.core.storage.journal import Transaction
from constitution_studio.core.yamldoc import YamlDocument, load_roundtrip
from constitution_studio.errors import BadInputError

__all__ = [
    "FIELDS",
    "FOLD_WIDTH",
    "OPTIONAL",
    "Draft",
    "Fields",
    "fields_of",
    "fold_positions",
    "model_data",
    "split_tags",
    "validate_fields",
    "write_draft",
]


def write_draft(root: Path, draft: Draft, txn: Transaction | None = None) -> str:
    """Write the changed fields of `draft` to its file; returns the (possibly renamed) relpath.

    Raises FileChangedError (from YamlDocument.save) when the file changed on disk since it was
    loaded, and BadInputError when a rename would overwrite another file.
    """
    doc = YamlDocument(root / draft.relpath, draft.base_text.encode("utf-8"), load_roundtrip(draft.base_text))
    doc.display_path = draft.relpath
    apply_fields(doc, draft)
    new_id = draft.edited["id"]
    own = txn is None  # with a caller's transaction, only plan: the caller commits everything at once
    txn = Transaction(root) if txn is None else txn
    txn.expect(draft.relpath, doc.original)
    if new_id == draft.saved["id"]:
        txn.write(draft.relpath, doc.encoded())
        relpath = draft.relpath
    else:
        relpath = f"{PRINCIPLES_DIR}/{new_id}.yaml"
        if (root / relpath).exists():
            raise BadInputError(f"cannot rename to {new_id}: {relpath} already exists", path=draft.relpath)
        txn.expect(relpath, None)  # the new file and the old one's removal, together or not at all
        txn.write(relpath, doc.encoded(), mode_of=draft.relpath)  # a rename keeps the file's mode
        txn.delete(draft.relpath)
    if own:
        txn.commit()
    return relpath
