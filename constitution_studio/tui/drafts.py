"""The names the studio's editor uses for a principle's fields and its unsaved draft.

The field rules and the draft live in core (`core/principle_fields.py`); the one save is core's
`core/authoring.save_principles`. This module only re-exports them for the widgets.
"""

from __future__ import annotations

from constitution_studio.core.principle_fields import (
    FIELDS,
    FOLD_WIDTH,
    OPTIONAL,
    Fields,
    fields_of,
    fold_positions,
    model_data,
    split_tags,
    validate_fields,
)
from constitution_studio.core.principle_fields import PrincipleDraft as Draft

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
]
