"""`cstudio revise`: critique-revision data from each principle's own requests, checked by the judge."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from constitution_studio.cli.ci_options import add_locale, check_locale, needs_critic
from constitution_studio.cli.common import add_quiet, add_root, root_of
from constitution_studio.cli.critic_cmd import _add_critic_options, _open_judge
from constitution_studio.cli.export_cmd import write_bytes
from constitution_studio.cli.progress import ScoringProgress, interrupt_cancels
from constitution_studio.core.source import WORKTREE
from constitution_studio.core.wording import noun, plural
from constitution_studio.errors import BadInputError, ExitCode

if TYPE_CHECKING:
    from pydantic import BaseModel


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "revise",
        help="critique-revision data: a generator revises what the judge labels violates, the judge checks it",
        description="For each case the judge labels violates (or each draft of --prompts), critique the response "
        "with a principle's critique request, revise it with its revision request, and judge every revision; "
        "stop at the first round that complies. Writes revisions, SFT and preference rows to --out DIR.",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for revisions/sft/preferences")
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl", help="file format (default: jsonl)")
    add_quiet(p)
    p.add_argument("--ref", default=WORKTREE, metavar="REF", help="git ref whose principles and cases to use")
    p.add_argument("--prompts", type=Path, default=None, metavar="FILE", help="JSONL drafts to revise, not the cases")
    p.add_argument("--case", action="append", default=None, metavar="ID", help="only this case (repeatable)")
    p.add_argument("--principle", action="append", default=None, metavar="ID", help="cases linked to ID only")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="revise at most N cases")
    g = p.add_argument_group("generation")
    g.add_argument("--rounds", type=int, default=2, metavar="N", help="critique-revision rounds at most (default 2)")
    g.add_argument(
        "--pick",
        choices=("decider", "random"),
        default="decider",
        help="the principle: the case's decider, or a seeded draw among its engaged principles (CAI)",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the random pick and of sampling (default 0)")
    g.add_argument("--temperature", type=float, default=0.0, help="0 (default): greedy, deterministic")
    g.add_argument("--max-new-tokens", type=int, default=256, metavar="N", help="tokens per critique or revision")
    g.add_argument(
        "--generator",
        default="in-process",
        metavar="URL",
        help="in-process (default: the critic's model, or --generator-model) or an OpenAI-compatible server URL",
    )
    g.add_argument("--generator-model", default=None, metavar="MODEL", help="in-process model, or the server's name")
    g.add_argument("--generator-key-env", default=None, metavar="VAR", help="environment variable with the API key")
    g.add_argument("--no-generation-cache", action="store_true", help="generate again (the cache is not read)")
    add_locale(p)
    add_root(p)
    _add_critic_options(p)
    p.set_defaults(func=needs_critic(run_revise))


def run_revise(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from constitution_studio.cli.common import load_valid
    from constitution_studio.core.export.formats import encode, require_pyarrow
    from constitution_studio.core.export.gather import export_cases, gather
    from constitution_studio.core.export.gencache import GenerationCache
    from constitution_studio.core.export.generator import open_generator
    from constitution_studio.core.export.revise import (
        ReviseSettings,
        read_drafts,
        revise,
        revision_preferences,
        sft_rows,
        summarize,
        violating_cases,
        with_cases,
    )
    from constitution_studio.core.export.revision_record import RevisionRecord
    from constitution_studio.core.export.revision_rows import RevisionPreferenceRow, RevisionRow, SftRow
    from constitution_studio.core.sanitize import sanitize

    try:
        settings = ReviseSettings(
            rounds=args.rounds,
            pick=args.pick,
            seed=args.seed,
            temperature=args.temperature,
            max_new_tokens=args.max_new_tokens,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInputError(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from None
    if args.format == "parquet":
        require_pyarrow()
    root = root_of(args)
    ws = load_valid(root, None if args.ref == WORKTREE else args.ref)
    source = "case"
    if args.prompts is not None:
        ws = with_cases(ws, read_drafts(args.prompts, ws))
        source = "prompts"
    ids = export_cases(ws, args.principle)
    if args.case:
        unknown = [c for c in args.case if c not in ws.cases]
        if unknown:
            raise BadInputError(f"unknown case {noun(len(unknown), 'id')}: {', '.join(unknown)}")
        ids = [c for c in ids if c in set(args.case)]
    judge = _open_judge(args, ws, root)
    settings_model = judge.settings
    generator = open_generator(
        args.generator,
        critic_model=settings_model.model,
        revision=settings_model.revision,
        root=root,
        model=args.generator_model,
        api_key_env=args.generator_key_env,
        device=args.device or settings_model.device,
        dtype=args.dtype or settings_model.dtype,
        allow_pickle=settings_model.allow_pickle,
    )
    cache = GenerationCache(root, use=not args.no_generation_cache)
    record = RevisionRecord(root if source == "case" else None)  # what the studio's case detail shows
    start = time.perf_counter()
    rows: list[RevisionRow] = []
    selected: list[str] = []
    cancelled = False
    try:
        with interrupt_cancels() as cancel:
            bar = ScoringProgress("judging the cases", judge=judge)
            try:
                gathered = gather(
                    ws,
                    judge,
                    root=root,
                    ref=args.ref,
                    locale=check_locale(ws, args.locale),
                    case_ids=ids,
                    score_missing=True,
                    cancel=cancel,
                    progress=bar,
                )
            finally:
                bar.close()
            if source == "prompts":
                selected = [c for c in ids if ws.cases[c].kind == "single"]
            else:
                selected = violating_cases(gathered)
            if args.limit is not None:
                selected = selected[: max(args.limit, 0)]
            bar = ScoringProgress("revising")
            try:
                for row in revise(
                    gathered,
                    judge,
                    generator,
                    settings,
                    selected,
                    source=source,
                    cache=cache,
                    record=record,
                    cancel=cancel,
                    progress=bar,
                ):
                    rows.append(row)
            finally:
                bar.close()
            cancelled = cancel.is_set()
    finally:
        judge.close()
        generator.close()
        cache.close()
        record.close()
    seconds = time.perf_counter() - start
    summary = summarize(rows, len(selected), settings.rounds, cancelled=cancelled)
    outputs: list[tuple[str, Sequence[BaseModel], type[BaseModel]]] = [
        ("revisions", rows, RevisionRow),
        ("sft", list(sft_rows(rows)), SftRow),
        ("preferences", list(revision_preferences(rows)), RevisionPreferenceRow),
    ]
    written = []
    for name, found, model in outputs:
        path = args.out / f"{name}.{args.format}"
        write_bytes(path, encode(found, args.format, model))
        written.append(f"{sanitize(str(path))} ({len(found)})")
    n = summary.selected
    what = plural(n, "draft") if source == "prompts" else f"{plural(n, 'case')} the judge labels violates"
    lines = [f"revise: {what}; {summary.finished} finished in {seconds:.1f} s"]
    if summary.finished:
        per_round = ", ".join(
            f"round {i}: {n} ({n / summary.finished:.0%})" for i, n in enumerate(summary.accepted_by_round, 1)
        )
        never = len(summary.never)
        lines.append(f"accepted by the judge in {per_round}; never complied: {never} ({never / summary.finished:.0%})")
    if summary.never:
        lines.append("never complied: " + ", ".join(sanitize(c) for c in summary.never))
    lines.append("wrote " + ", ".join(written))
    if record.recorded:
        lines.append(f"recorded {plural(record.recorded, 'case')} for the studio: Enter on a case shows its revisions")
    sys.stdout.write("\n".join(lines) + "\n")
    if cancelled:
        sys.stderr.write("cstudio: cancelled; the finished cases are written, and every generation is cached\n")
        return int(ExitCode.BAD_INPUT)
    return int(ExitCode.OK)
