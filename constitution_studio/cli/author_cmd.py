"""`cstudio new`, `move` and `rename`: authoring edits, each validated and written under the lock."""

from __future__ import annotations

import argparse
import sys

from constitution_studio.cli.common import add_quiet, add_root, load_valid, path_prefix, root_of
from constitution_studio.core.authoring import move_principle, new_principle, rename_principle
from constitution_studio.core.paths import shown
from constitution_studio.core.storage.locking import constitution_lock


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    n = subparsers.add_parser("new", help="scaffold principles/ID.yaml and add it to the priority order")
    n.add_argument("id", metavar="ID")
    n.add_argument("--title", required=True)
    n.add_argument("--after", metavar="ID", default=None, help="place it right after this principle (default: last)")
    add_root(n)
    add_quiet(n)
    n.set_defaults(func=run_new)

    m = subparsers.add_parser("move", help="move a principle in the priority order (1 = highest)")
    m.add_argument("id", metavar="ID")
    m.add_argument("--to", type=int, required=True, metavar="RANK")
    add_root(m)
    add_quiet(m)
    m.set_defaults(func=run_move)

    r = subparsers.add_parser(
        "rename", help="give a principle a new ID: its file, the priority order and every case link"
    )
    r.add_argument("id", metavar="ID")
    r.add_argument("new_id", metavar="NEW_ID")
    add_root(r)
    add_quiet(r)
    r.set_defaults(func=run_rename)


def run_new(args: argparse.Namespace) -> int:
    root = root_of(args)
    with constitution_lock(root):  # validate and write the same version
        load_valid(root)  # refuse to build on an invalid constitution (same lines as validate, exit 2)
        path = new_principle(root, args.id, args.title, args.after)
    if not args.quiet:
        where = shown(path_prefix(), path.relative_to(root).as_posix())
        sys.stdout.write(f"created {where} (status: draft); edit its statement and link cases to it\n")
    return 0


def run_move(args: argparse.Namespace) -> int:
    root = root_of(args)
    with constitution_lock(root):
        load_valid(root)
        old, new = move_principle(root, args.id, args.to)
    if not args.quiet:
        sys.stdout.write(f"{args.id}: rank {old} -> {new}\n" if old != new else f"{args.id} is already at rank {new}\n")
    return 0


def run_rename(args: argparse.Namespace) -> int:
    root = root_of(args)
    with constitution_lock(root):
        ws = load_valid(root)
        written = rename_principle(root, args.id, args.new_id, ws=ws)
    if not args.quiet:
        sys.stdout.write(f"{args.id} -> {args.new_id}: wrote {', '.join(shown(path_prefix(), w) for w in written)}\n")
    return 0
