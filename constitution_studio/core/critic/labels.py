"""Turning a critic's raw probabilities into labels: per-principle calibration (checked
against what it was fitted for), Platt scale and thresholds.

A mixin of `Critic` (engine.py), kept apart so the engine module stays about scoring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from constitution_studio.core.critic.cache import text_hash
from constitution_studio.core.critic.loader import ModelRef
from constitution_studio.core.critic.methods import Method
from constitution_studio.core.critic.templates import Kind
from constitution_studio.core.critic.types import Score, ScoreRequest
from constitution_studio.core.models import CriticSettings, PrincipleCalibration

_EPS = 1e-12


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def logit(p: float) -> float:
    p = min(max(p, _EPS), 1.0 - _EPS)
    return math.log(p / (1.0 - p))


def request_kind(req: ScoreRequest) -> Kind:
    """Which prompt a request needs: the engagement question, or the case's own kind."""
    return "engagement" if req.question == "engagement" else req.case.kind


class Labels:
    """Calibration and labels; needs the critic's settings, model identity, method and template id."""

    settings: CriticSettings
    ref: ModelRef
    method: Method
    warnings: list[str]
    _calibration_ok: dict[tuple[str, str], bool]
    calibration_wording: dict[tuple[str, str], str]  # (principle, wording) -> wording whose calibration applies

    @property
    def template_id(self) -> str:
        raise NotImplementedError

    def calibration_for(self, principle_id: str, statement: str) -> PrincipleCalibration | None:
        """The principle's fitted calibration, if it was fitted for this critic and this wording.

        An entry fitted for another model, method, template set or wording is ignored; the
        first time, one line naming what differs goes to `warnings`.
        """
        cal = self.settings.calibration.get(principle_id)
        if cal is None:
            return None
        statement = self.calibration_wording.get((principle_id, statement), statement)
        memo = (principle_id, statement)
        if memo in self._calibration_ok:
            return cal if self._calibration_ok[memo] else None
        wanted = {
            "model": self.ref.identity,
            "method": self.method.name,
            "templates": self.template_id,
            "statement_sha256": text_hash(statement),
        }
        differs = [name for name, value in wanted.items() if getattr(cal, name) != value]
        ok = not differs
        self._calibration_ok[memo] = ok
        if not ok:
            what = ", ".join("wording" if d == "statement_sha256" else d for d in differs)
            self.warnings.append(
                f"calibration of {principle_id} ignored: fitted for another {what} (run `cstudio calibrate`)"
            )
        return cal if ok else None

    def hold_calibration(self, principle_id: str, wording: str, fitted_for: str) -> bool:
        """Label `wording` with the calibration fitted for `fitted_for` (the same principle's
        wording on the other side of an edit), so a shift compares wordings under one judge
        rather than a calibrated side with an uncalibrated one. False when there is none."""
        if self.calibration_for(principle_id, fitted_for) is None:
            return False
        self.calibration_wording[(principle_id, wording)] = fitted_for
        self._calibration_ok.pop((principle_id, wording), None)
        return True

    def calibrated(self, principle_id: str, raw: float, kind: str, statement: str) -> float:
        """Apply the principle's Platt scale (single responses only) to a raw probability."""
        platt_a, platt_b, _, _ = self._rule(principle_id, statement, kind)
        return raw if platt_a is None else sigmoid(platt_a * logit(raw) + platt_b)

    def label_for(self, principle_id: str, probability: float, kind: str, statement: str) -> str:
        """violates|complies by the principle's threshold (or the default); a|b at 0.5 for pairs;
        engaged|not_engaged at the engagement threshold."""
        _, _, threshold, (above, below) = self._rule(principle_id, statement, kind)
        return above if probability >= threshold else below

    def calibrated_principles(self, statements: dict[str, str]) -> list[str]:
        """Which of these principles (id -> wording) run with a valid calibration."""
        return [pid for pid, text in statements.items() if self.calibration_for(pid, text) is not None]

    def _score(self, req: ScoreRequest, raw: float, cached: bool) -> Score:
        (score,) = self._scores([req], [raw], cached)
        assert score is not None
        return score

    def _scores(
        self, requests: Sequence[ScoreRequest], raws: Sequence[float | None], cached: bool
    ) -> list[Score | None]:
        """The Score of each request with a raw probability (None stays None): `_rule`'s Platt
        scale and threshold, looked up once per (principle, wording, kind), not per request."""
        rules: dict[tuple[str, str, str], tuple[float | None, float, float, tuple[str, str]]] = {}
        out: list[Score | None] = []
        append = out.append
        for req, raw in zip(requests, raws, strict=True):
            if raw is None:
                append(None)
                continue
            case = req.case
            kind = "engagement" if req.question == "engagement" else case.kind
            memo = (req.principle_id, req.statement, kind)
            rule = rules.get(memo)
            if rule is None:
                rule = rules[memo] = self._rule(req.principle_id, req.statement, kind)
            platt_a, platt_b, threshold, names = rule
            p = raw if platt_a is None else sigmoid(platt_a * logit(raw) + platt_b)
            label = names[0] if p >= threshold else names[1]
            append(Score(req.principle_id, case.id, req.variant, kind, p, label, cached))  # type: ignore[arg-type]
        return out

    def _rule(self, principle_id: str, statement: str, kind: str) -> tuple[float | None, float, float, tuple[str, str]]:
        """(Platt a or None, Platt b, threshold, (label at or above, label below)): the one
        place a principle's calibration becomes a label rule (`calibrated`, `label_for`, `_scores`)."""
        if kind == "engagement":
            return None, 0.0, self.settings.engagement_threshold, ("engaged", "not_engaged")
        if kind == "pair":
            return None, 0.0, 0.5, ("a", "b")
        cal = self.calibration_for(principle_id, statement)
        platt_a = cal.platt_a if cal is not None else None
        platt_b = (cal.platt_b or 0.0) if cal is not None else 0.0
        threshold = cal.threshold if cal is not None else self.settings.threshold
        return platt_a, platt_b, threshold, ("violates", "complies")
