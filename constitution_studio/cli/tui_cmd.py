"""`cstudio tui` (the default command): open the studio."""

from __future__ import annotations

import argparse

from constitution_studio.cli.common import add_root, root_of


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("tui", help="open the studio (the default when no command is given)")
    add_root(p)
    p.add_argument(
        "--critic-server",
        default=None,
        metavar="URL",
        help="judge with the engine served at URL (docs/critic.md); default: $CSTUDIO_CRITIC_SERVER or critic.server",
    )
    p.set_defaults(func=run_tui)


def run_tui(args: argparse.Namespace) -> int:
    from constitution_studio.tui.app import StudioApp  # textual only loads for the TUI

    app = StudioApp(root_of(args))
    app.run()
    return int(app.return_code or 0)
