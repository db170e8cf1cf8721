"""The hostile-input corpus: each entry breaks a copy of the mini constitution in one way.

Every entry is a function `(root) -> None` applied to a fresh copy inside a git repository
(so `diff` and `log` run too). The corpus test runs every command of the file layer over
each entry; see test_corpus.py for what is asserted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from constitution_studio.core.statedir import ensure_state_dir

Breakage = Callable[[Path], None]

CONST = "principles/constitution.yaml"
HARM = "principles/HARM-01.yaml"
CASES = "eval_cases/cases.yaml"


def _edit(rel: str, old: str, new: str) -> Breakage:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"corpus drifted: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def _write(rel: str, data: bytes) -> Breakage:
    def apply(root: Path) -> None:
        (root / rel).write_bytes(data)

    return apply


def _fifo(rel: str) -> Breakage:
    def apply(root: Path) -> None:
        os.mkfifo(root / rel)

    return apply


def _symlink(rel: str, target: str) -> Breakage:
    def apply(root: Path) -> None:
        (root / rel).unlink(missing_ok=True)
        (root / rel).symlink_to(target)

    return apply


def _mkdir(rel: str) -> Breakage:
    def apply(root: Path) -> None:
        (root / rel).mkdir()

    return apply


def _outside_symlink(root: Path) -> None:
    secret = root.parent / "secret.yaml"
    secret.write_text("id: SEC-01\ntitle: hunter2\nstatement: leak\nstatus: active\n", encoding="utf-8")
    (root / "principles/SEC-01.yaml").symlink_to(secret)


def _deep(rel: str, depth: int) -> Breakage:
    return _write(rel, b"id: HARM-01\ntitle: " + b"[" * depth + b"]" * depth + b"\n")


def _cstudio_file(root: Path) -> None:
    (root / ".cstudio").write_text("not a folder\n")


def _cstudio_symlink(root: Path) -> None:
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    (root / ".cstudio").symlink_to(elsewhere)


def _garbage_parse_cache(root: Path) -> None:
    folder = root / ".cstudio" / "parsed"
    folder.mkdir(parents=True)
    for i in range(5):
        (folder / f"{i:020d}.marshal").write_bytes(b"\xff\x00garbage" * i)


def _corrupt_score_cache(root: Path) -> None:
    ensure_state_dir(root)  # the tool's own folder, so the corrupt cache is moved aside and rebuilt
    (root / ".cstudio" / "critic.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x00garbage" * 64)


def _crlf_bom(root: Path) -> None:
    for rel in (CONST, HARM, CASES):
        path = root / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))


def _yml(root: Path) -> None:
    os.replace(root / "principles/HON-01.yaml", root / "principles/HON-01.yml")


CORPUS: dict[str, Breakage] = {
    "unclosed-quote": _edit(HARM, "title: No serious physical harm", 'title: "No serious physical harm'),
    "unclosed-bracket": _edit(HARM, "tags: [harm]", "tags: [harm"),
    "merge-conflict": _edit(
        HARM, "status: active\n", "<<<<<<< HEAD\nstatus: active\n=======\nstatus: draft\n>>>>>>> x\n"
    ),
    "control-char": _edit(HARM, "No serious", "No\x01serious"),
    "nul-byte": _edit(HARM, "No serious", "No\x00serious"),
    "duplicate-key": _edit(HARM, "status: active\n", "status: active\nstatus: draft\n"),
    "typo-key": _edit(HARM, "title:", "titel:"),
    "empty-constitution": _write(CONST, b""),
    "comment-only-constitution": _write(CONST, b"# nothing\n"),
    "empty-principle": _write(HARM, b""),
    "constitution-is-a-list": _write(CONST, b"- a\n- b\n"),
    "priority-not-a-list": _edit(CONST, "priority:", "priority: HARM-01\nold_priority:"),
    "cases-scalar": _write(CASES, b"just text\n"),
    "deep-nesting": _deep(HARM, 1000),
    "deep-nesting-300": _deep(HARM, 300),
    "fifo": _fifo("principles/FIFO-01.yaml"),
    "dev-zero": _symlink("principles/ZERO-01.yaml", "/dev/zero"),
    "outside-symlink": _outside_symlink,
    "dangling-symlink": _symlink("principles/GONE-01.yaml", "nowhere.yaml"),
    "folder-named-yaml": _mkdir("principles/DIR-01.yaml"),
    "cases-folder-named-yaml": _mkdir("eval_cases/dir.yaml"),
    "too-large": _write("eval_cases/big.yaml", b"# " + b"x" * (1024 * 1024 + 10) + b"\n"),
    "not-utf8": _write("principles/HON-01.yaml", "id: HON-01\ntitle: caf\xe9\n".encode("latin-1")),
    "crlf-bom": _crlf_bom,
    "upper-case-extension": _write("principles/NEW-01.YAML", b"id: NEW-01\n"),
    "yml-principle": _yml,
    "esc-in-title": _edit(HARM, "title: No serious physical harm", 'title: "No \\e[2K\\e[1Aserious harm"'),
    "bidi-in-statement": _edit(HARM, "The response must not", "The response \u202emust not\u202c"),
    "long-id-in-priority": _edit(CONST, "- HARM-01", "- HARM-" + "1" * 300),
    "cstudio-is-a-file": _cstudio_file,
    "cstudio-symlink": _cstudio_symlink,
    "garbage-parse-cache": _garbage_parse_cache,
    "corrupt-score-cache": _corrupt_score_cache,
    "binary-garbage": _write(HARM, bytes(range(256)) * 4),
}
