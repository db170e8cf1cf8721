"""`cstudio export labels|preferences`: the critic's labels of a version as a dataset.

Rows come from core/export (one function per dataset); this module parses, opens the judge,
shows progress, writes the file atomically and says on stderr what it wrote.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from constitution_studio.cli.ci_options import add_locale, check_locale, needs_critic
from constitution_studio.cli.common import add_quiet, add_root, is_quiet, root_of
from constitution_studio.cli.critic_cmd import _add_critic_options, _open_judge
from constitution_studio.cli.progress import ScoringProgress, interrupt_cancels
from constitution_studio.core.source import WORKTREE
from constitution_studio.core.wording import plural
from constitution_studio.errors import BadInputError, ExitCode


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    e = subparsers.add_parser("export", help="the critic's labels as datasets: AI labels, RLAIF preference pairs")
    kinds = e.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    labels = kinds.add_parser("labels", help="every scored (case, principle): label, P, engaged, decider, stability")
    prefs = kinds.add_parser("preferences", help="pair cases as prompt/chosen/rejected, abstaining inside the noise")
    prefs.add_argument(
        "--per-principle", action="store_true", help="one row per (pair case, linked principle), not per case"
    )
    for p in (labels, prefs):
        add_output(p)
        p.add_argument("--ref", default=WORKTREE, metavar="REF", help="git ref to export (default: the work tree)")
        p.add_argument("--principle", action="append", default=None, metavar="ID", help="cases linked to ID only")
        p.add_argument(
            "--score-missing", action="store_true", help="score what the cache lacks (default: export what it holds)"
        )
        add_locale(p)
        add_root(p)
        add_quiet(p)
        _add_critic_options(p)
    labels.set_defaults(func=needs_critic(run_export))
    prefs.set_defaults(func=needs_critic(run_export))


def add_output(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", type=Path, default=Path("-"), metavar="FILE", help="file to write (.jsonl or .parquet; - is stdout)"
    )
    p.add_argument("--format", choices=("jsonl", "parquet"), default=None, help="default: from the file's suffix")


def output_format(args: argparse.Namespace) -> str:
    """jsonl or parquet for --out/--format; Parquet to stdout and a missing pyarrow are refused up front."""
    from constitution_studio.core.export.formats import format_for, require_pyarrow

    stdout = str(args.out) == "-"
    fmt = format_for(None if stdout else args.out, args.format)
    if fmt == "parquet":
        if stdout:
            raise BadInputError("Parquet is binary: give --out FILE.parquet")
        require_pyarrow()
    return fmt


def write_bytes(path: Path, data: bytes) -> None:
    """`data` to stdout (`-`) or atomically to `path` (a temporary file beside it, then renamed)."""
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        raise BadInputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def run_export(args: argparse.Namespace) -> int:
    from constitution_studio.cli.common import load_valid
    from constitution_studio.core.export.formats import encode
    from constitution_studio.core.export.gather import gather
    from constitution_studio.core.export.labels import label_rows
    from constitution_studio.core.export.preferences import preference_rows
    from constitution_studio.core.export.rows import LabelRow, PreferenceRow
    from constitution_studio.core.sanitize import sanitize

    fmt = output_format(args)
    root = root_of(args)
    ws = load_valid(root, None if args.ref == WORKTREE else args.ref)
    from constitution_studio.core.export.gather import export_cases

    ids = export_cases(ws, args.principle)
    if args.dataset == "preferences":  # only pair cases make preference rows: score nothing else
        ids = [c for c in ids if ws.cases[c].kind == "pair"]
    judge = _open_judge(args, ws, root)
    bar = ScoringProgress("scoring", judge=judge)
    try:
        with interrupt_cancels() as cancel:
            gathered = gather(
                ws,
                judge,
                root=root,
                ref=args.ref,
                locale=check_locale(ws, args.locale),
                case_ids=ids,
                score_missing=args.score_missing,
                cancel=cancel,
                progress=bar,
            )
    finally:
        bar.close()
        judge.close()
    if args.dataset == "labels":
        rows: list[LabelRow] | list[PreferenceRow] = list(label_rows(gathered))
        model: type[LabelRow] | type[PreferenceRow] = LabelRow
        what = plural(len(rows), "label row")
    else:
        prefs = list(preference_rows(gathered, per_principle=args.per_principle))
        rows, model = prefs, PreferenceRow
        abstained = sum(r.abstain for r in prefs)
        share = f" ({abstained / len(prefs):.0%})" if prefs else ""
        what = f"{plural(len(prefs), 'preference row')}, {abstained} abstain{share}"
    write_bytes(args.out, encode(rows, fmt, model))  # type: ignore[arg-type]
    cov = gathered.coverage
    where = "" if str(args.out) == "-" else f" to {sanitize(str(args.out))}"
    if not is_quiet():
        sys.stderr.write(f"cstudio: wrote {what}{where}\n")
    if cov.missing:  # a warning, not a note: the dataset is incomplete (shown under --quiet too)
        hint = "cancelled; run again to go on" if cov.cancelled else "run with --score-missing to score them"
        sys.stderr.write(
            f"cstudio: {cov.missing} of {plural(cov.requests, 'judge answer')} not in the cache ({hint})\n"
        )
    return int(ExitCode.BAD_INPUT if cov.cancelled else ExitCode.OK)
