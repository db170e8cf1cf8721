"""Scoring methods: how raw option log-odds become one corrected log-odds.

Small critics are biased (towards "Yes", towards the first response, towards whatever the
prompt suggests). A method is a `+`-joined set of corrections on top of the plain question:

- `plain`: ask "does the response violate the principle?"; log-odds of Yes vs No.
- `both`: also ask the opposite polarity ("does it comply?") and use half the difference,
  which cancels a constant bias towards "Yes".
- `contextual`: score a content-free case (prompt and response "N/A") once per principle and
  subtract its log-odds (Zhao et al. 2021, "Calibrate before use").
- `fewshot`: put worked examples on unrelated principles before the question (a shared
  prefix whose KV cache is computed once).
- `anchored`: put k of the principle's *own* gold cases before the question as worked
  examples (core/critic/anchored.py); they are left out of that principle's agreement.

e.g. `fewshot+both`. Pairs are always scored in both presentation orders; `contextual` is a
no-op for pairs because that symmetrisation already cancels the position bias.
"""

from __future__ import annotations

from dataclasses import dataclass

from constitution_studio.errors import BadInputError

COMPONENTS = ("anchored", "both", "contextual", "fewshot")
METHODS = (
    "plain",
    "both",
    "contextual",
    "fewshot",
    "fewshot+both",
    "fewshot+contextual",
    "both+contextual",
    "anchored",
    "anchored+both",
)


@dataclass(frozen=True)
class Method:
    """A parsed scoring method; `name` is canonical (sorted components) and goes in cache keys."""

    both: bool = False
    contextual: bool = False
    fewshot: bool = False
    anchored: bool = False

    @property
    def components(self) -> list[str]:
        return [c for c in COMPONENTS if getattr(self, c)]

    @property
    def name(self) -> str:
        return "+".join(self.components) if self.components else "plain"


def parse_method(text: str) -> Method:
    """`plain`, `both`, `contextual`, `fewshot`, or a `+`-joined combination."""
    parts = [p.strip() for p in text.split("+") if p.strip()]
    flags: dict[str, bool] = {}
    for part in parts:
        if part == "plain":
            continue
        if part not in COMPONENTS:
            raise BadInputError(
                f"unknown scoring method '{part}' in '{text}' (use plain, {', '.join(COMPONENTS)}, joined with +)"
            )
        flags[part] = True
    return Method(**flags)
