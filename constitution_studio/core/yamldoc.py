"""YAML that people wrote: fast reads, line lookups, and round-trip edits with atomic saves.

Two readers on purpose. Loading a constitution of 50,000 cases through ruamel's pure
Python round-trip parser takes seconds, so plain reads use libyaml (through PyYAML's C
loader, with YAML 1.2-style booleans) and the round-trip parser runs only when a line
number is needed for a finding or a file is edited. Edits change only the values asked
for; ruamel keeps comments, key order, quoting and block scalars everywhere else.
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from io import StringIO
from pathlib import Path, PurePosixPath
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

from constitution_studio.core.storage.safe_paths import MAX_FILE_BYTES, new_file_mode, read_in_root, read_regular
from constitution_studio.core.yaml_errors import DuplicateKeyError, YamlSyntaxError, diagnose, mark_of
from constitution_studio.errors import BadInputError, FileChangedError

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


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
    """SafeConstructor's mapping, refusing a key given twice (YAML says keys are unique)."""
    if isinstance(node, pyyaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, pyyaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    raise DuplicateKeyError(
                        f"duplicate key '{key}' (first at line {seen[key]}, "
                        f"again at line {key_node.start_mark.line + 1}); remove one",
                        path=None,
                        line=key_node.start_mark.line + 1,
                        col=key_node.start_mark.column + 1,
                    )
                seen[key] = key_node.start_mark.line + 1
    return pyyaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_FastLoader.construct_mapping = _construct_mapping  # type: ignore[method-assign]


def load_fast(text: str, path: str | None = None) -> Any:
    """Parse YAML to plain Python data; raises YamlSyntaxError with the line."""
    try:
        return pyyaml.load(text, Loader=_FastLoader)
    except DuplicateKeyError as exc:
        exc.path = path
        raise
    except pyyaml.MarkedYAMLError as exc:
        mark, problem = mark_of(exc)
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 1
        raise diagnose(text, path, line, col, problem) from None
    except pyyaml.YAMLError as exc:
        raise diagnose(text, path, 1, 1, str(exc)) from None
    except RecursionError:
        raise YamlSyntaxError("invalid YAML: nested too deeply", path=path, line=1, col=1) from None


def yaml_loader() -> type:
    """The libyaml loader class load_fast uses (for callers that read events)."""
    return _FastLoader


def compose_fast(text: str, path: str | None = None) -> Any:
    """libyaml's node tree (with marks) of one document; YamlSyntaxError like load_fast."""
    try:
        return pyyaml.compose(text, Loader=_FastLoader)
    except pyyaml.MarkedYAMLError as exc:
        mark, problem = mark_of(exc)
        raise diagnose(text, path, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1, problem) from None
    except (pyyaml.YAMLError, RecursionError) as exc:
        raise diagnose(text, path, 1, 1, str(exc) or "nested too deeply") from None


def decode(data: bytes, path: str | None = None) -> str:
    """Bytes to text, refusing huge or non-UTF-8 files with the line of the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        raise BadInputError(
            f"file is {len(data) / 1024 / 1024:.1f} MiB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MiB",
            path=path,
            line=1,
        )
    try:
        return data.decode("utf-8")  # a BOM stays as U+FEFF: both parsers skip it, saves keep it
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
        if "duplicate key" in str(exc.problem or "") and exc.problem_mark is not None:
            first = exc.context_mark.line + 1 if exc.context_mark else 1
            again = exc.problem_mark.line + 1
            raise DuplicateKeyError(
                f"duplicate key (first at line {first}, again at line {again}); remove one",
                path=path,
                line=again,
                col=exc.problem_mark.column + 1,
            ) from None
        mark, problem = mark_of(exc)
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 1
        raise diagnose(text, path, line, col, problem) from None
    except RecursionError:
        raise YamlSyntaxError("invalid YAML: nested too deeply", path=path, line=1, col=1) from None
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. ReaderError) on odd bytes
        if isinstance(exc, BadInputError):
            raise
        raise diagnose(text, path, 1, 1, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


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


def _breakable(text: str, i: int) -> bool:
    """A folded scalar can break at `text[i]`: one space between two non-space characters."""
    return 0 < i < len(text) - 1 and text[i] == " " and text[i - 1] not in " \n" and text[i + 1] not in " \n"


def refold(old: str, old_breaks: Sequence[int], new: str, wrap: Callable[[str], list[int]]) -> list[int]:
    """Where a folded scalar's new text breaks: its old line breaks wherever the text around them
    did not change, `wrap` (a greedy wrap, offsets into the text it gets) only for the lines the
    edit touched.

    Rewrapping the whole paragraph after a one-word edit makes git show every line below it as
    changed; this keeps the lines before the edit (the common prefix) and after it (the common
    suffix, where the old breaks move by the length difference) exactly as they were.
    """
    breaks = sorted(b for b in old_breaks if 0 <= b < len(old))
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    shift = len(new) - len(old)
    # a break is kept when the line after it starts in the unchanged text as well as its space
    head = [b for b in breaks if b + 1 < prefix and _breakable(new, b)]
    tail = [b + shift for b in breaks if b - 1 >= len(old) - suffix and _breakable(new, b + shift)]
    start = head[-1] + 1 if head else 0
    end = tail[0] if tail else len(new)
    middle = [start + p for p in wrap(new[start:end])]
    return head + [p for p in middle if _breakable(new, p)] + tail


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, fsync, rename: readers see old or new, never half.

    Writes through a symlink to its target (the link stays), keeps the file's mode (a new file
    gets 0666 less the umask) and refuses a read-only file. Constitution files go through
    `storage.journal.Transaction` instead, which adds the root checks and the journal.
    """
    path = Path(os.path.realpath(path))
    if path.exists():
        st = path.stat()
        if not st.st_mode & 0o200:
            raise BadInputError("the file is read-only; refusing to replace it", path=str(path))
        mode = st.st_mode & 0o777
    else:
        mode = new_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
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


_BOM = b"\xef\xbb\xbf"


def _root_of(path: Path, display_path: str) -> Path | None:
    """The constitution root when `display_path` is `path` relative to it under principles/ or eval_cases/."""
    rel = PurePosixPath(display_path)
    if rel.is_absolute() or len(rel.parts) < 2 or rel.parts[0] not in ("principles", "eval_cases"):
        return None
    if Path(path).parts[-len(rel.parts) :] != rel.parts:
        return None
    return Path(path).parents[len(rel.parts) - 1]


class YamlDocument:
    """A file loaded round-trip, edited in place, saved atomically unless it changed on disk.

    Saving keeps what the file looked like: its line endings (LF or CRLF), a UTF-8 BOM, and
    its mode; constitution files are written through one journalled, locked transaction.
    """

    def __init__(self, path: Path, original: bytes, data: Any, display_path: str | None = None) -> None:
        self.path = Path(path)
        self.original = original
        self.data = data
        self.display_path = display_path or str(path)
        self.bom = original.startswith(_BOM)
        self.crlf = b"\r\n" in original

    @classmethod
    def from_bytes(cls, path: Path, raw: bytes, display_path: str | None = None) -> YamlDocument:
        text = decode(raw, display_path or str(path))
        return cls(Path(path), raw, load_roundtrip(text, display_path or str(path)), display_path)

    @classmethod
    def load(cls, path: Path, display_path: str | None = None) -> YamlDocument:
        display = display_path or str(path)
        root = _root_of(Path(path), display)
        raw = read_in_root(root, display) if root is not None else read_regular(Path(path), display)
        if raw is None:
            raise BadInputError("the file does not exist", path=display)
        return cls.from_bytes(Path(path), raw, display_path)

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
        """Set one value, keeping the old value's scalar style.

        ruamel keeps the comment above the *next* block (`# Gates for check:` above `check:`)
        on the entry before it; a key added (or replaced) at the end of a mapping takes that
        comment over, so it stays above what it precedes instead of moving into this block.
        """
        *parents, last = keys
        node = self.get(parents)
        old = node[last] if (isinstance(node, dict) and last in node) else None
        token = None
        if isinstance(node, CommentedMap) and node and (last not in node or list(node.keys())[-1] == last):
            token = _take_trailing_comment(node, list(node.keys())[-1])  # added or replaced at the end
        node[last] = styled_like(old, value) if isinstance(value, str) else value
        if token is not None:
            _put_trailing_comment(node, list(node.keys())[-1], token)

    def text(self) -> str:
        return dump_roundtrip(self.data)

    def encoded(self, text: str | None = None) -> bytes:
        """The bytes to write: the text with the file's own line endings and BOM."""
        text = self.text() if text is None else text
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        data = text.encode("utf-8")
        return _BOM + data if self.bom and not data.startswith(_BOM) else data

    def changed_on_disk(self) -> bool:
        try:
            current = self.path.read_bytes()
        except FileNotFoundError:
            return self.original != b""
        return current != self.original

    def save(self) -> None:
        """Atomic write; refuses when someone else changed the file since it was loaded."""
        data = self.encoded()
        root = _root_of(self.path, self.display_path)
        if root is not None:
            from constitution_studio.core.storage.journal import Transaction

            txn = Transaction(root)
            txn.expect(self.display_path, self.original or None)
            txn.write(self.display_path, data)
            txn.commit()
            self.original = data
            return
        if self.changed_on_disk():
            raise FileChangedError(
                "the file changed on disk since it was loaded; reload it and apply the edit again",
                path=self.display_path,
            )
        if not self.original and self.path.exists():
            raise FileChangedError("the file already exists", path=self.display_path)
        atomic_write(self.path, data)
        self.original = data


def _deepest_last(holder: Any, key: Any) -> tuple[Any, Any]:
    """The innermost last entry under `holder[key]`: where ruamel hangs a comment after the block."""
    while True:
        value = holder[key]
        if isinstance(value, CommentedMap) and len(value):
            holder, key = value, list(value.keys())[-1]
        elif isinstance(value, CommentedSeq) and len(value):
            holder, key = value, len(value) - 1
        else:
            return holder, key


def _take_trailing_comment(holder: Any, key: Any) -> Any:
    """Remove and return the block comment that follows the entry `holder[key]` (its innermost last
    entry, where ruamel keeps it); an end-of-line comment on that entry stays where it is."""
    src, src_key = _deepest_last(holder, key)
    slot = 2 if isinstance(src, CommentedMap) else 0
    entry = src.ca.items.get(src_key)
    if not entry or len(entry) <= slot or entry[slot] is None:
        return None
    token = entry[slot]
    head, _, rest = token.value.partition("\n")
    if head.strip() and not rest.strip():
        return None  # only an end-of-line comment: it belongs to its own line
    if head.strip():  # the end-of-line part stays, the block comment below it moves
        moved = copy.copy(token)
        moved.value = "\n" + rest
        token.value = head + "\n"
        return moved
    entry[slot] = None
    return token


def _put_trailing_comment(holder: Any, key: Any, token: Any) -> None:
    dst, dst_key = _deepest_last(holder, key)
    slot = 2 if isinstance(dst, CommentedMap) else 0
    items = dst.ca.items.setdefault(dst_key, [None, None, None, None])
    while len(items) <= slot:
        items.append(None)
    if items[slot] is None:
        items[slot] = token
