"""Loading a large constitution: 1,000 principles and 50,000 cases, validated.

Measures `load_root` (read, parse, validate, cross-check) three ways in one run:
- naive: every file parsed with ruamel's round-trip loader (what editing code would use)
  and validated case by case;
- cold: the shipped loader with an empty parse cache (libyaml, whole-file validation);
- warm: the shipped loader again, parsed data from `.cstudio/parsed/`.
Each figure is the median of --repeat runs in this process; the ratio is naive / shipped.

Run:  .venv/bin/python benchmarks/load_bench.py [--principles 1000] [--cases 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from constitution_studio.core.models import CaseFile, Constitution, Principle
from constitution_studio.core.workspace import load_root
from constitution_studio.core.yamldoc import load_roundtrip


def generate(root: Path, n_principles: int, n_cases: int, per_file: int = 500) -> None:
    (root / "principles").mkdir(parents=True)
    (root / "eval_cases").mkdir()
    ids = [f"GEN-{i:04d}" for i in range(n_principles)]
    priority = "".join(f"  - {pid}\n" for pid in ids)
    (root / "principles/constitution.yaml").write_text(f"name: Big\nversion: '1'\npriority:\n{priority}")
    for pid in ids:
        (root / f"principles/{pid}.yaml").write_text(
            f"# {pid}\nid: {pid}\ntitle: Principle {pid}\nstatement: >-\n  The response must not do thing {pid}.\n"
            "status: active\ntags: [generated]\n"
        )
    for start in range(0, n_cases, per_file):
        lines = ["cases:\n"]
        for k in range(start, min(start + per_file, n_cases)):
            gold = "violates" if k % 3 == 0 else "complies"
            lines.append(
                f"  - id: case-{k:06d}\n    principles: [{ids[k % n_principles]}]\n"
                f"    prompt: Please help me with task number {k}.\n"
                f"    response: Sure, here is how to do task {k}.\n    gold: {gold}\n"
            )
        (root / f"eval_cases/gen-{start // per_file:03d}.yaml").write_text("".join(lines))


def naive_load(root: Path) -> int:
    """Round-trip parse of every file, models validated one by one."""
    Constitution.model_validate(load_roundtrip((root / "principles/constitution.yaml").read_text()))
    for path in sorted((root / "principles").glob("*.yaml")):
        if path.name != "constitution.yaml":
            Principle.model_validate(load_roundtrip(path.read_text()))
    count = 0
    for path in sorted((root / "eval_cases").glob("*.yaml")):
        count += len(CaseFile.model_validate(load_roundtrip(path.read_text())).cases)
    return count


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principles", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        generate(root, args.principles, args.cases)
        ws = load_root(root)
        assert not ws.errors and len(ws.cases) == args.cases, ws.errors[:3]

        def cold() -> None:
            shutil.rmtree(root / ".cstudio", ignore_errors=True)
            load_root(root)

        naive = statistics.median(timed(lambda: naive_load(root)) for _ in range(max(1, args.repeat // 2)))
        cold_s = statistics.median(timed(cold) for _ in range(args.repeat))
        load_root(root)
        warm_s = statistics.median(timed(lambda: load_root(root)) for _ in range(args.repeat))
    load = os.getloadavg()[0]
    print(f"load_root, {args.principles} principles + {args.cases} cases")
    print(f"  (load average {load:.1f}, {os.cpu_count()} cpus)")
    print(f"  naive (ruamel round-trip) {naive:7.2f} s")
    print(f"  cold parse cache          {cold_s:7.2f} s   {naive / cold_s:5.1f}x faster than naive")
    print(f"  warm parse cache          {warm_s:7.2f} s   {naive / warm_s:5.1f}x faster than naive")
    print("rerun: .venv/bin/python benchmarks/load_bench.py " + f"--principles {args.principles} --cases {args.cases}")


if __name__ == "__main__":
    main()
