"""Options the critic commands and the CI outputs share: the critic extra, --critic-model, report files.

* `require_critic()`: a critic command run on the base install (no `[critic]` extra) stops
  with one line naming the exact install command, exit 2, before any work.
* `add_critic_model()` / `critic_model()`: `--critic-model MODEL`, default `$CSTUDIO_CRITIC_MODEL`.
* `write_report()`: a report to FILE, or to stdout for `-`.
* `repo_prefix()` / `head_locator()`: where annotations and SARIF results point.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from constitution_studio.errors import StudioError

CRITIC_MODULES = ("torch", "transformers", "safetensors", "numpy")
ENV_MODEL = "CSTUDIO_CRITIC_MODEL"
DIST = "constitution-studio"
DEFAULT_BUDGET = 60_000  # = core.report.markdown_budget.DEFAULT_BUDGET (not imported: parsers stay light)


class CriticExtraMissing(StudioError):
    title = "the critic is not installed"


def install_command() -> str:
    """The pip command that adds the critic to this interpreter, from where this package was installed:
    the folder or git URL of a direct install (direct_url.json), else the distribution's name (an
    install by name from an index or a wheelhouse), else the source checkout this runs from."""
    pip = f"{shlex.quote(sys.executable)} -m pip install"
    source = None
    try:
        dist = metadata.distribution(DIST)
        name = dist.metadata["Name"] or DIST
        direct = dist.read_text("direct_url.json")
        info = json.loads(direct) if direct else {}
        url = str(info.get("url", ""))
        if url.startswith("file://"):
            source = url[len("file://") :]
        elif "vcs_info" in info:
            vcs = info["vcs_info"]
            rev = vcs.get("commit_id") or vcs.get("requested_revision")
            source = f"{name}[critic] @ {vcs.get('vcs', 'git')}+{url}" + (f"@{rev}" if rev else "")
        elif not direct and dist.read_text("INSTALLER"):
            source = name  # installed by name: never the site-packages folder this module sits in
    except (metadata.PackageNotFoundError, ValueError, OSError, KeyError):
        source = None
    checkout = Path(__file__).resolve().parents[2]
    if source is None:  # a source checkout run in place (its build metadata records no installer)
        source = str(checkout) if (checkout / "pyproject.toml").is_file() else DIST
    if " @ " not in source:
        source = f"{source}[critic]"
    return f"{pip} {shlex.quote(source)}"


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules, a broken parent
        return False


def require_critic() -> None:
    """Refuse (exit 2, one line) when torch or transformers is missing: the base install has no critic."""
    missing = [m for m in CRITIC_MODULES if not _importable(m)]
    if missing:
        raise CriticExtraMissing(
            f"{', '.join(missing)} missing; install the critic extra: {install_command()}"
            " (torch first for a CPU-only or pinned build)"
        )


def needs_critic(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command function that first refuses (one line, exit 2) when the critic extra is missing."""

    def run(args: argparse.Namespace) -> int:
        require_critic()
        return func(args)

    run.__name__ = run.__qualname__ = func.__name__
    run.__doc__ = func.__doc__
    return run


def add_critic_model(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument(
        "--critic-model",
        default=None,
        metavar="MODEL",
        help=f"critic model (Hugging Face id, local folder or builtin:NAME) instead of critic.model; "
        f"default: ${ENV_MODEL} when set",
    )
    parser.add_argument(
        "--critic-server",
        default=None,
        metavar="URL",
        help="score with the judge served at URL (vLLM, SGLang, llama.cpp; docs/critic.md) instead of loading "
        "it here; default: $CSTUDIO_CRITIC_SERVER, then critic.server",
    )


def critic_model(args: argparse.Namespace) -> str | None:
    value = getattr(args, "critic_model", None) or os.environ.get(ENV_MODEL) or None
    return value.strip() or None if value else None


def write_report(path: Path, text: str) -> None:
    """Write `text` atomically to `path`, or to stdout when `path` is `-`; `wrote FILE` unless --quiet."""
    from constitution_studio.cli.common import is_quiet

    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from constitution_studio.core.storage.report_files import write_report_file

    write_report_file(path, text)  # atomic; a symlink at the path is replaced, never written through
    if not is_quiet():
        sys.stderr.write(f"wrote {path}\n")


def repo_prefix(root: Path) -> str:
    """The constitution root relative to the repository's top (core/paths.py), or ''."""
    from constitution_studio.core.paths import repo_prefix as prefix

    return prefix(root)


def head_locator(root: Path, head_ref: str) -> Any:
    """A `Locate` for github.py/sarif.py: where a principle, case or gate setting is at the head."""
    from constitution_studio.core.source import WORKTREE
    from constitution_studio.core.workspace import load_root

    if head_ref == WORKTREE:
        ws = load_root(root)
    else:
        from constitution_studio.core.versions import load_version

        ws = load_version(root, head_ref)

    def locate(kind: str, ident: str) -> tuple[str, int, int] | None:
        try:
            if kind == "principle" and ident in ws.principle_paths:
                path = ws.principle_paths[ident]
                line, col = ws.locate(path, ["statement"])
                return path, line, col
            if kind == "case" and ident in ws.case_paths:
                path = ws.case_paths[ident]
                line, col = ws.locate(path, ["cases", ws.case_indexes.get(ident, 0), "id"])
                return path, line, col
            if kind == "check":
                path = "principles/constitution.yaml"
                line, col = ws.locate(path, ["check"])
                return path, line, col
        except (KeyError, IndexError, TypeError, OSError, StudioError):
            return None
        return None

    return locate


def add_locale(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument(
        "--locale",
        default=None,
        metavar="CODE",
        help="judge statement + this locale's addendum (principle `locales:`); default: the statement alone, "
        "and shift/check also report each of critic.locales apart",
    )


def check_locale(ws: Any, locale: str | None, *more: Any) -> str | None:
    """The --locale value; one warning line when no principle of these versions has its addendum."""
    code = (locale or "").strip() or None
    if code is None:
        return None
    if not any(code in p.locales for w in (ws, *more) if w is not None for p in w.principles.values()):
        sys.stderr.write(f"cstudio: warning: no principle has a '{code}' addendum; the judge reads the statements\n")
    return code
