"""YAML that people wrote: fast reads, line lookups, and round-trip edits with atomic saves.

Two readers on purpose. Loading a constitution of 50,000 cases through ruamel's pure
Python round-trip parser takes seconds, so plain reads use libyaml (through PyYAML's C
loader, with YAML 1.2-style booleans) and the round-trip parser runs only when a line
number is needed for a finding or a file is edited. Edits change only the values asked
for; ruamel keeps comments, key order, quoting and block scalars everywhere else.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from io import StringIO
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from constitution_studio.errors import BadInputError, FileChangedError

MAX_FILE_BYTES = 1024 * 1024


class YamlSyntaxError(BadInputError):
    """Malformed YAML, with the line and column of the problem."""

    def __init__(self, message: str, *, path: str | None, line: int, col: int) -> None:
        super().__init__(message, path=path, line=line)
        self.col = col


# --- fast reads ------------------------------------------------------------------------

_BaseLoader: type = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)


class _FastLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml-backed safe loader resolving scalars like YAML 1.2 (as ruamel does).

    PyYAML follows YAML 1.1, where `yes`, `no`, `on`, `off` are booleans and dates become
    `date` objects; ruamel (YAML 1.2) keeps them strings. Both readers must agree.
    """


_FastLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in pyyaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FastLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_fast(text: str, path: str | None = None) -> Any:
    """Parse YAML to plain Python data; raises YamlSyntaxError with the line."""
    try:
        return pyyaml.load(text, Loader=_FastLoader)
    except pyyaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"invalid YAML: {problem}", path=path, line=line, col=col) from None
    except pyyaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", path=path, line=1, col=1) from None


def decode(data: bytes, path: str | None = None) -> str:
    """Bytes to text, refusing huge or non-UTF-8 files with the line of the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        raise BadInputError(
            f"file is {len(data) / 1024 / 1024:.1f} MiB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MiB",
            path=path,
            line=1,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInputError(f"file is not UTF-8 (byte 0x{data[exc.start]:02x})", path=path, line=line) from None


# --- round trip ----------------------------------------------------------------------


def house_yaml() -> YAML:
    """The one round-trip configuration every write uses (see docs/architecture.md)."""
    y = YAML(typ="rt", pure=True)
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def load_roundtrip(text: str, path: str | None = None) -> Any:
    try:
        return house_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 1
        raise YamlSyntaxError(f"invalid YAML: {exc.problem or exc.context}", path=path, line=line, col=col) from None


def dump_roundtrip(data: Any) -> str:
    stream = StringIO()
    house_yaml().dump(data, stream)
    return stream.getvalue()


def locate(doc: Any, loc: Sequence[str | int]) -> tuple[int, int]:
    """1-based (line, col) of the node at `loc` (a pydantic error location) in a round-trip doc.

    Walks as deep as the document goes; a missing key points at its parent mapping.
    """
    line, col = 1, 1
    node = doc
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            ln, cl = node.lc.key(part)
            line, col = ln + 1, cl + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            ln, cl = node.lc.item(part)
            line, col = ln + 1, cl + 1
            node = node[part]
        else:
            if isinstance(node, CommentedMap | CommentedSeq) and (line, col) == (1, 1):
                line, col = node.lc.line + 1, node.lc.col + 1
            break
    return line, col


class Locator:
    """Lazily parses a file's text round-trip to answer 'which line is this?'."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._doc: Any = None

    def __call__(self, loc: Sequence[str | int]) -> tuple[int, int]:
        if self._doc is None:
            try:
                self._doc = load_roundtrip(self._text)
            except YamlSyntaxError:
                return 1, 1
        return locate(self._doc, loc)


# --- editing ---------------------------------------------------------------------------


def styled_like(old: Any, new: str) -> Any:
    """Wrap `new` in the scalar style of the value it replaces; multi-line text becomes a block."""
    if isinstance(old, LiteralScalarString | FoldedScalarString):
        return type(old)(new)
    if "\n" in new.rstrip("\n"):
        return LiteralScalarString(new)
    if isinstance(old, DoubleQuotedScalarString | SingleQuotedScalarString):
        return type(old)(new)
    return new


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, fsync, rename: readers see old or new, never half."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class YamlDocument:
    """A file loaded round-trip, edited in place, saved atomically unless it changed on disk."""

    def __init__(self, path: Path, original: bytes, data: Any, display_path: str | None = None) -> None:
        self.path = Path(path)
        self.original = original
        self.data = data
        self.display_path = display_path or str(path)

    @classmethod
    def load(cls, path: Path, display_path: str | None = None) -> YamlDocument:
        raw = Path(path).read_bytes()
        text = decode(raw, display_path or str(path))
        return cls(Path(path), raw, load_roundtrip(text, display_path or str(path)), display_path)

    @classmethod
    def new(cls, path: Path, text: str, display_path: str | None = None) -> YamlDocument:
        """A document for a file that does not exist yet."""
        return cls(Path(path), b"", load_roundtrip(text), display_path)

    def get(self, keys: Sequence[str | int]) -> Any:
        node = self.data
        for key in keys:
            node = node[key]
        return node

    def set(self, keys: Sequence[str | int], value: Any) -> None:
        """Set one value, keeping the old value's scalar style."""
        *parents, last = keys
        node = self.get(parents)
        old = node[last] if (isinstance(node, dict) and last in node) else None
        node[last] = styled_like(old, value) if isinstance(value, str) else value

    def text(self) -> str:
        return dump_roundtrip(self.data)

    def changed_on_disk(self) -> bool:
        try:
            current = self.path.read_bytes()
        except FileNotFoundError:
            return self.original != b""
        return current != self.original

    def save(self) -> None:
        """Atomic write; refuses when someone else changed the file since it was loaded."""
        if self.changed_on_disk():
            raise FileChangedError(
                "the file changed on disk since it was loaded; reload it and apply the edit again",
                path=self.display_path,
            )
        if not self.original and self.path.exists():
            raise FileChangedError("the file already exists", path=self.display_path)
        data = self.text().encode("utf-8")
        atomic_write(self.path, data)
        self.original = data
