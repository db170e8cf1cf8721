"""Open an import's source by format: its records, the default column mapping, the format's notes.

The first record is read up front so that a mapping naming a column the file does not have
is refused (one line, exit 2) before any work.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from constitution_studio.core.imports.mapping import TARGETS, Mapping
from constitution_studio.core.imports.records import Record, display, read_records
from constitution_studio.errors import BadInputError


class Source:
    """Records of one input, the mapping defaults of its format, and notes the reading leaves."""

    def __init__(self, records: Iterator[Record], defaults: dict[str, str], notes: list[str]) -> None:
        self.records = records
        self.defaults = defaults
        self.notes = notes  # appended to while records are read (inspect, promptfoo)


def open_source(kind: str, path: Path, split: str | None, given: dict[str, str]) -> Source:
    """The source of `cstudio import KIND PATH` with `given` (the user's --map) checked on its first record."""
    notes: list[str] = []
    if kind == "promptfoo":
        from constitution_studio.core.imports.promptfoo import DEFAULTS, read_tests

        records, notes = read_tests(path)
        defaults = dict(DEFAULTS)
        if "response" in given and "gold" not in given:
            del defaults["gold"]  # the gold of an `equals` answer says nothing about another response
    elif kind == "inspect":
        from constitution_studio.core.imports import inspect_samples

        read_samples, INSPECT = inspect_samples.read_samples, inspect_samples.DEFAULTS

        records, notes = read_samples(path)
        defaults = dict(INSPECT)
        if "response" in given:
            defaults.pop("note")
    else:
        records, defaults = read_records(path, split), {}
    first = next(records, None)
    if first is None:
        raise BadInputError(f"{display(path)}: no records to import")
    if kind == "cases":
        defaults = {t: t for t in TARGETS if t in first.data}
    if first.refused is None:
        Mapping(fields=given).check_columns(first.data, display(path), given)
    return Source(itertools.chain([first], records), defaults, notes)
