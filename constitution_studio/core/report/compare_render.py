"""`critic compare` as a text or Markdown table (JSON is the model dump)."""

from __future__ import annotations

from constitution_studio.core.compare import Comparison
from constitution_studio.core.report.markdown_escape import md_code, md_text
from constitution_studio.core.wording import plural


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _rows(cmp: Comparison) -> list[list[str]]:
    out = []
    for r in cmp.rows:
        a = r.agreement
        speed = "–" if r.cases_per_s is None else f"{r.cases_per_s:.1f}"
        if r.cached == r.requests and r.requests:
            speed += " (cached)"
        out.append(
            [
                r.role,
                r.model,
                r.family,
                r.method,
                r.variant,
                str(a.n) + (f" (-{r.excluded} demos)" if r.excluded else ""),
                a.balanced_accuracy.text(),
                a.kappa.text(),
                a.auc.text(),
                _share(r.polarity_consistency),
                _share(r.order_consistency),
                _share(r.member_agreement),
                a.level.value,
                speed,
            ]
        )
    return out


HEADERS = [
    "judge",
    "model",
    "family",
    "method",
    "variant",
    "n",
    "balanced acc",
    "kappa",
    "AUC",
    "polarity",
    "order",
    "members agree",
    "trust",
    "cases/s",
]
FOOTNOTE = (
    "polarity: single responses whose 'violates' and 'complies' answers agree; order: pairs whose verdict "
    "survives swapping the order; members agree: panel verdicts every member shares; "
    "'-k demos': gold cases shown to the judge (method anchored) and left out of its agreement"
)


def compare_text(cmp: Comparison) -> str:
    rows = [HEADERS, *_rows(cmp)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    foot = (
        f"{plural(cmp.gold_cases, 'gold case')} at {cmp.version}; "
        f"95% intervals (bootstrap with seed {cmp.seed}; DeLong for AUC)"
    )
    return "\n".join(lines) + "\n" + foot + "\n" + FOOTNOTE + "\n"


def compare_markdown(cmp: Comparison) -> str:
    lines = [
        f"## Critic comparison on {plural(cmp.gold_cases, 'gold case')} at {md_code(cmp.version)}",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    texts = len(HEADERS[: HEADERS.index("n")])  # judge, model, family, method, variant: names from the files
    lines += ["| " + " | ".join([*(md_text(c) for c in r[:texts]), *r[texts:]]) + " |" for r in _rows(cmp)]
    lines += ["", f"Intervals: 95% percentile bootstrap over cases, seed {cmp.seed}. {FOOTNOTE}."]
    return "\n".join(lines) + "\n"
