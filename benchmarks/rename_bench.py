"""`cstudio validate` and `cstudio rename` on 1,000 principles and 50,000 cases, with a naive baseline.

Generates the constitution of load_bench.py (each principle linked from 50 cases spread over
50 of the 100 case files) and measures, in one run:
- validate: the `cstudio validate` command end to end (a subprocess), cold and warm parse cache;
- rename: the `cstudio rename` command end to end (validates, plans every file, one journalled
  transaction), warm cache, median of --repeat renames of different principles;
- naive rename: what `rename` did before (every case file mentioning the ID round-tripped
  through ruamel and saved, file by file), in-process, on a copy.
Figures are wall-clock seconds; the ratio is naive / shipped.

Run:  .venv/bin/python benchmarks/rename_bench.py [--principles 1000] [--cases 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load_bench import generate

from constitution_studio.core.yamldoc import YamlDocument


def cli(root: Path, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "constitution_studio", *args, "--root", str(root)], capture_output=True
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"cstudio {' '.join(args)} failed: {proc.stderr.decode()[-500:]}")
    return elapsed


def naive_rename(root: Path, old_id: str, new_id: str) -> None:
    """The previous implementation's work: principle file and constitution round-trip, then each case file."""
    old_path = root / f"principles/{old_id}.yaml"
    doc = YamlDocument.load(old_path, f"principles/{old_id}.yaml")
    doc.set(["id"], new_id)
    (root / f"principles/{new_id}.yaml").write_text(doc.text())
    old_path.unlink()
    const = YamlDocument.load(root / "principles/constitution.yaml", "principles/constitution.yaml")
    prio = const.data["priority"]
    prio[list(prio).index(old_id)] = new_id
    (root / "principles/constitution.yaml").write_text(const.text())
    for path in sorted((root / "eval_cases").glob("*.yaml")):
        if old_id.encode() not in path.read_bytes():
            continue
        case_doc = YamlDocument.load(path, f"eval_cases/{path.name}")
        for case in case_doc.data["cases"]:
            links = case["principles"]
            for i, pid in enumerate(links):
                if pid == old_id:
                    links[i] = new_id
        path.write_text(case_doc.text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principles", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        generate(root, args.principles, args.cases)
        copy = Path(tmp) / "naive"
        shutil.copytree(root, copy)
        validate_cold = cli(root, "validate")
        validate_warm = statistics.median(cli(root, "validate") for _ in range(args.repeat))
        renames = [cli(root, "rename", f"GEN-{i:04d}", f"REN-{i:04d}") for i in range(args.repeat)]
        rename_s = statistics.median(renames)
        if (
            cli(root, "validate") > 0
            and subprocess.run(
                [sys.executable, "-m", "constitution_studio", "validate", "--root", str(root)], capture_output=True
            ).returncode
        ):
            raise SystemExit("the renamed constitution does not validate")
        start = time.perf_counter()
        naive_rename(copy, "GEN-0000", "REN-0000")
        naive_s = time.perf_counter() - start
    load = os.getloadavg()[0]
    print(f"{args.principles} principles + {args.cases} cases  (load average {load:.1f}, {os.cpu_count()} cpus)")
    print(f"  cstudio validate, cold parse cache  {validate_cold:7.2f} s")
    print(f"  cstudio validate, warm parse cache  {validate_warm:7.2f} s")
    print(f"  cstudio rename (end to end, warm)   {rename_s:7.2f} s   runs: {', '.join(f'{r:.2f}' for r in renames)}")
    print(f"  naive rename (ruamel, in-process)   {naive_s:7.2f} s   {naive_s / rename_s:5.1f}x slower")
    print(f"rerun: .venv/bin/python benchmarks/rename_bench.py --principles {args.principles} --cases {args.cases}")


if __name__ == "__main__":
    main()
