"""Benchmark: `cstudio diff` first..last and `cstudio log ID` on a 1,000-principle, 1,000-commit repo.

The repository is generated with `git fast-import` (seconds, not minutes) and cached under
.bench/git-1000-v2 (gitignored). Figures are wall times of fresh `cstudio` processes
(start-up included): `cold` right after deleting the blob parse cache (.git/cstudio/),
`warm` the median of the following runs; plus the in-process time of the core call alone.
They are compared with a naive baseline measured in the same run:

- diff baseline: one `git show REV:path` subprocess per file of each version, then the same
  loader and diff (what a simple script would do instead of one `cat-file --batch` stream
  and parsing each distinct blob once);
- log baseline: walk every commit with GitPython, look the principle up in each commit's
  tree and compare with its parent (per-commit tree walks instead of one `git log --raw`).

Run:  .venv/bin/python benchmarks/git_bench.py [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from constitution_studio.core.diff import structural_diff  # noqa: E402
from constitution_studio.core.source import CASES_DIR, PRINCIPLES_DIR  # noqa: E402
from constitution_studio.core.workspace import load_workspace  # noqa: E402

N_PRINCIPLES = 1000
N_COMMITS = 1000
N_CASE_FILES = 20
CASES_PER_FILE = 100
LOG_ID = "BENCH-0500"
CACHE = REPO_ROOT / ".bench" / "git-1000-v2"

# A 600-word pseudo-vocabulary: statements read like prose to the word differ (few repeats),
# not like a 25-word loop that makes every token match everywhere.
_SYLLABLES = ["ka", "lo", "mi", "ren", "sa", "tu", "vel", "or", "in", "dra", "po", "que", "zi", "an", "et"]
WORDS = sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("", "s", "ed", "ing")})[:600]


def pid(i: int) -> str:
    return f"BENCH-{i:04d}"


def principle_text(i: int, rng: random.Random, version: int) -> str:
    statement = " ".join(rng.choice(WORDS) for _ in range(40))
    return (
        f"# Principle {i}, revision {version}\n"
        f"id: {pid(i)}\n"
        f"title: Benchmark principle {i}\n"
        f"statement: >-\n  {statement}\n"
        f"status: active\nowner: team-{i % 7}\ntags: [bench, group-{i % 13}]\n"
    )


def constitution_text(priority: list[str]) -> str:
    return 'name: Bench\nversion: "1.0"\npriority:\n' + "".join(f"  - {p}\n" for p in priority)


def cases_text(file_index: int, rng: random.Random) -> str:
    out = ["cases:"]
    for j in range(CASES_PER_FILE):
        n = file_index * CASES_PER_FILE + j
        # every principle gets linked cases (a valid, tested constitution), plus one random link
        links = ", ".join(sorted({pid(n % N_PRINCIPLES + 1), pid(rng.randrange(1, N_PRINCIPLES + 1))}))
        out += [
            f"  - id: case-{n:05d}",
            f"    principles: [{links}]",
            f"    prompt: Benchmark prompt number {n}",
            f"    response: Benchmark response number {n}",
        ]
    return "\n".join(out) + "\n"


def fast_import_stream() -> bytes:
    """1,000 commits: the first adds everything; then rewordings, priority moves and relinks."""
    rng = random.Random(1234)
    out = io.BytesIO()

    def data(payload: str) -> None:
        raw = payload.encode()
        out.write(f"data {len(raw)}\n".encode() + raw + b"\n")

    def commit(n: int, message: str, files: dict[str, str]) -> None:
        out.write(b"commit refs/heads/main\n")
        out.write(f"mark :{n}\n".encode())
        stamp = 1_700_000_000 + n * 60
        out.write(f"author Bench Author <bench@example.com> {stamp} +0000\n".encode())
        out.write(f"committer Bench Author <bench@example.com> {stamp} +0000\n".encode())
        data(message)
        if n > 1:
            out.write(f"from :{n - 1}\n".encode())
        for path, text in files.items():
            out.write(f"M 100644 inline {path}\n".encode())
            data(text)

    priority = [pid(i) for i in range(1, N_PRINCIPLES + 1)]
    versions = dict.fromkeys(range(1, N_PRINCIPLES + 1), 0)
    files = {f"{PRINCIPLES_DIR}/{pid(i)}.yaml": principle_text(i, rng, 0) for i in range(1, N_PRINCIPLES + 1)}
    files[f"{PRINCIPLES_DIR}/constitution.yaml"] = constitution_text(priority)
    for f in range(N_CASE_FILES):
        files[f"{CASES_DIR}/bench-{f:02d}.yaml"] = cases_text(f, rng)
    commit(1, "Initial constitution", files)
    for n in range(2, N_COMMITS + 1):
        changed: dict[str, str] = {}
        i = 500 if n % 50 == 0 else rng.randrange(1, N_PRINCIPLES + 1)  # BENCH-0500 changes every 50 commits
        versions[i] += 1
        changed[f"{PRINCIPLES_DIR}/{pid(i)}.yaml"] = principle_text(i, rng, versions[i])
        if n % 10 == 0:
            moved = priority.pop(rng.randrange(len(priority)))
            priority.insert(rng.randrange(len(priority) + 1), moved)
            changed[f"{PRINCIPLES_DIR}/constitution.yaml"] = constitution_text(priority)
        if n % 25 == 0:
            f = rng.randrange(N_CASE_FILES)
            changed[f"{CASES_DIR}/bench-{f:02d}.yaml"] = cases_text(f, rng)
        commit(n, f"Commit {n}: edit {pid(i)}", changed)
    return out.getvalue()


def build_repo() -> Path:
    if (CACHE / ".git").is_dir():
        return CACHE
    tmp = CACHE.with_name(CACHE.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp, check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=tmp, input=fast_import_stream(), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=tmp, check=True)
    tmp.rename(CACHE)
    return CACHE


def timed_cli(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "constitution_studio", *args], cwd=CACHE, check=True, stdout=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _ShowSource:
    """Naive baseline source: one `git show REV:path` process per file."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo, self.rev = repo, rev
        self.label = rev

    def _git(self, *args: str) -> bytes | None:
        proc = subprocess.run(["git", *args], cwd=self.repo, capture_output=True)
        return proc.stdout if proc.returncode == 0 else None

    def list_yaml(self, folder: str) -> list[str]:
        out = self._git("ls-tree", "--name-only", f"{self.rev}:{folder}") or b""
        return sorted(f"{folder}/{n}" for n in out.decode().splitlines() if n.endswith((".yaml", ".yml")))

    def read(self, relpath: str) -> bytes | None:
        return self._git("show", f"{self.rev}:{relpath}")

    def fingerprint(self, relpath: str) -> str | None:
        return None


def naive_diff(first: str) -> float:
    start = time.perf_counter()
    structural_diff(load_workspace(_ShowSource(CACHE, first)), load_workspace(_ShowSource(CACHE, "HEAD")))
    return time.perf_counter() - start


def naive_log(principle_id: str) -> float:
    import git

    start = time.perf_counter()
    repo = git.Repo(CACHE)
    previous: bytes | None = None
    changed = 0
    for commit in repo.iter_commits("HEAD"):
        try:
            blob = commit.tree / f"{PRINCIPLES_DIR}/{principle_id}.yaml"
            data = blob.data_stream.read()
        except KeyError:
            data = None
        if previous is not None and data != previous:
            changed += 1
        previous = data
    repo.close()
    return time.perf_counter() - start


def in_process(first: str) -> tuple[float, float]:
    """The core calls alone in this process, with no parse cache on disk or in memory."""
    from constitution_studio.core import gitobjects
    from constitution_studio.core.history import principle_log
    from constitution_studio.core.versions import diff_refs

    shutil.rmtree(CACHE / ".git" / "cstudio", ignore_errors=True)
    gitobjects._CACHES.clear()
    start = time.perf_counter()
    diff_refs(CACHE, first, "HEAD")
    mid = time.perf_counter()
    principle_log(CACHE, LOG_ID)
    return mid - start, time.perf_counter() - mid


def profile_in_process(first: str) -> str:
    from constitution_studio.core.history import principle_log
    from constitution_studio.core.versions import diff_refs

    prof = cProfile.Profile()
    prof.enable()
    diff_refs(CACHE, first, "HEAD")
    principle_log(CACHE, LOG_ID)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(18)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print an in-process cProfile of diff + log")
    args = parser.parse_args()
    start = time.perf_counter()
    build_repo()
    built = time.perf_counter() - start
    first = subprocess.run(
        ["git", "rev-list", "--max-parents=0", "HEAD"], cwd=CACHE, check=True, capture_output=True, text=True
    ).stdout.split()[0]
    os.environ.setdefault("NO_COLOR", "1")
    startup = timed_cli(["--version"], args.repeat)
    shutil.rmtree(CACHE / ".git" / "cstudio", ignore_errors=True)
    diff_cold = timed_cli(["diff", first, "HEAD", "--format", "json"], 1)
    diff_warm = timed_cli(["diff", first, "HEAD", "--format", "json"], args.repeat)
    shutil.rmtree(CACHE / ".git" / "cstudio", ignore_errors=True)
    log_cold = timed_cli(["log", LOG_ID], 1)
    log_warm = timed_cli(["log", LOG_ID], args.repeat)
    core_diff, core_log = in_process(first)
    naive_diff_s = naive_diff(first)
    naive_log_s = naive_log(LOG_ID)
    print(f"repository: {N_PRINCIPLES} principles, {N_COMMITS} commits, {N_CASE_FILES * CASES_PER_FILE} cases")
    print(f"  at {CACHE} (built or reused in {built:.1f} s)")
    print(f"cstudio start-up (--version):   {startup:.2f} s")
    print(
        f"cstudio diff FIRST HEAD (json): cold {diff_cold:.2f} s, warm {diff_warm:.2f} s;"
        f" core call {core_diff:.2f} s (in-process, cold caches)."
        f" naive git-show baseline {naive_diff_s:.2f} s -> {naive_diff_s / diff_cold:.1f}x (cold)"
    )
    print(
        f"cstudio log {LOG_ID}:          cold {log_cold:.2f} s, warm {log_warm:.2f} s;"
        f" core call {core_log:.2f} s."
        f" naive per-commit tree walk {naive_log_s:.2f} s -> {naive_log_s / log_cold:.1f}x (cold)"
    )
    print("aims: diff < 1 s, log < 2 s")
    print(f"rerun: .venv/bin/python benchmarks/git_bench.py --repeat {args.repeat}")
    if args.profile:
        print(profile_in_process(first))


if __name__ == "__main__":
    main()
