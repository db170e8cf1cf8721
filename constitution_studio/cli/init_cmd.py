"""`cstudio init [DIR]`: a first constitution, ready to validate, open and evaluate."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from constitution_studio.cli.common import add_quiet
from constitution_studio.core.sanitize import sanitize


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "init",
        help="start a constitution: one example principle and case, README, .gitignore, editor schemas",
        description="Write a first constitution into DIR (default: the current folder): principles/, "
        "eval_cases/, a README paragraph, .cstudio/ in .gitignore and the editor's schema settings. "
        "Never overwrites a constitution.",
    )
    p.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR", help="where (created if missing)")
    p.add_argument("--name", default=None, help="the constitution's name (default: from the folder's name)")
    add_quiet(p)
    p.set_defaults(func=run_init)


def run_init(args: argparse.Namespace) -> int:
    from constitution_studio.core.scaffold import init_constitution

    result = init_constitution(args.dir, name=args.name)
    if args.quiet:
        return 0
    where = sanitize(str(args.dir))
    sys.stdout.write(f"created a constitution in {where}:\n")
    for rel in result.written:
        sys.stdout.write(f"  {rel}\n")
    for note in result.notes:
        sys.stderr.write(f"cstudio: note: {sanitize(note)}\n")
    root = "" if args.dir == Path(".") else f" --root {shlex.quote(str(args.dir))}"
    sys.stdout.write(
        "next:\n"
        f"  cstudio validate{sanitize(root)}     check the files\n"
        f"  cstudio{sanitize(root)}              open the studio: edit the example principle, add your own\n"
        f"  cstudio eval{sanitize(root)}         label the example case with the critic (installs: docs/critic.md)\n"
    )
    return 0
