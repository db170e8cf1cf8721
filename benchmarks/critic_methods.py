"""Gold agreement of each scoring method on a constitution (default: the example one).

For every gold case the critic judges it under its deciding (highest-priority linked)
principle; the figures compare those labels and probabilities with gold. `cv bal.acc` is
balanced accuracy with per-principle thresholds fitted by 5-fold cross-validation (what
`cstudio calibrate` would achieve on unseen cases). Uses and fills the score cache.

Rerun: .venv/bin/python benchmarks/critic_methods.py [--root DIR] [--methods plain,both,...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from constitution_studio.core import metrics
from constitution_studio.core.critic import ScoreRequest, open_critic
from constitution_studio.core.critic.calibration import cross_validated_predictions
from constitution_studio.core.labels import deciding_principle
from constitution_studio.core.workspace import load_root

POSITIVE = ("violates", "a")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=Path("."))
    ap.add_argument("--methods", default="plain,both,contextual,fewshot,fewshot+both")
    ap.add_argument("--variant", default="default")
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    ws = load_root(args.root)
    assert ws.constitution is not None
    settings = ws.constitution.critic.model_copy(update={"calibration": {}})
    requests = []
    for case in ws.cases.values():
        pid = deciding_principle(case, ws.priority, ws.principles) if case.gold else None
        if pid is not None:
            requests.append(ScoreRequest(pid, ws.principles[pid].statement, case, args.variant))
    print(f"{len(requests)} gold cases, model {settings.model}, variant {args.variant}")
    header = f"{'method':<22} {'n':>4} {'acc':>5} {'bal.acc':>7} {'kappa':>6} {'AUC':>5} {'cv bal.acc':>10} {'s':>6}"
    print(header)
    for method in args.methods.split(","):
        critic = open_critic(settings, args.root, method=method, device=args.device)
        start = time.perf_counter()
        scores = {s.case_id: s for s in critic.score(requests)}
        seconds = time.perf_counter() - start
        y = [int(r.case.gold in POSITIVE) for r in requests]
        p = [scores[r.case.id].probability for r in requests]
        pred = [int(scores[r.case.id].label in POSITIVE) for r in requests]
        # cross-validated per-principle thresholds (single responses; pairs keep 0.5)
        cv = list(pred)
        for pid in {r.principle_id for r in requests}:
            idx = [i for i, r in enumerate(requests) if r.principle_id == pid and r.case.kind == "single"]
            ys = [y[i] for i in idx]
            if min(sum(ys), len(ys) - sum(ys)) >= 2:
                for i, v in zip(idx, cross_validated_predictions(ys, [p[i] for i in idx]), strict=True):
                    cv[i] = v

        def f(v: float | None) -> str:
            return "  n/a" if v is None else f"{v:5.2f}"

        print(
            f"{method:<22} {len(y):>4} {f(metrics.accuracy(y, pred))} {f(metrics.balanced_accuracy(y, pred)):>7} "
            f"{f(metrics.cohens_kappa(y, pred)):>6} {f(metrics.auc(y, p))} "
            f"{f(metrics.balanced_accuracy(y, cv)):>10} {seconds:6.0f}",
            flush=True,
        )
        critic.close()


if __name__ == "__main__":
    main()
