"""The pre-merge check: validate the head, diff, label shift under the base's critic, gate rules.

Who judges a pull request (PRODUCT.md): the version under review never chooses its own
judge. Both sides are scored with the **base's** `critic:` settings. When the head changes
anything under `critic:`, the report gets a "critic changed" section (the head's cases
under the base's critic vs under the head's) and the gate fails unless both sides allow
critic changes. Every `check:` rule applies the stricter of base and head.

Nor does it write its own answer key (answer_key.py): gold labels and benign flags are the
base's for every case the base has, and what the head changes in them fails the
`answer_key_change` gate unless both sides allow it. When the critic's agreement with the
base's gold is untrusted or unknown, the check is **inconclusive**, never "passed": the `trust`
gate fails (exit 1) unless `check.on_untrusted: warn` on both sides, and every report says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.judge_files import (
    JUDGE_FILES,
    head_judge_escapes,
    judge_file_changes,
    refuses_judge,
)
from constitution_studio.core.analysis.judging import anchor, report_locales
from constitution_studio.core.analysis.scoring import case_requests, score_versions
from constitution_studio.core.analysis.selection import affected_cases, context_cases
from constitution_studio.core.analysis.shift import analyze_shift, assemble_shift, critic_info, scored_version
from constitution_studio.core.analysis.shift_models import CaseShift, LocaleShift, PrincipleShift, ShiftReport
from constitution_studio.core.analysis.trust import MIN_GOLD, TrustLevel, TrustReport
from constitution_studio.core.critic.judge import Judge, JudgeOpener
from constitution_studio.core.critic.opening import open_judge
from constitution_studio.core.diff import ConstitutionDiff, SettingChange
from constitution_studio.core.findings import Finding
from constitution_studio.core.models import CheckSettings, CriticSettings
from constitution_studio.core.wording import plural
from constitution_studio.core.workspace import Workspace
from constitution_studio.errors import BadInputError

Progress = Callable[[int, int], None]
Status = Literal["passed", "failed", "inconclusive"]
INCONCLUSIVE_LEVELS = (TrustLevel.UNTRUSTED, TrustLevel.UNKNOWN)


class GateResult(BaseModel):
    """One rule's verdict; `principle_id` set when the rule failed because of that principle."""

    rule: str
    passed: bool
    message: str
    principle_id: str | None = None


class CriticChange(BaseModel):
    """The head changed `critic:`: its cases under the base's critic (base side) vs its own (head side)."""

    settings: list[SettingChange]
    allowed: bool = Field(description="check.allow_critic_change on both sides.")
    shift: ShiftReport | None = Field(default=None, description="Head cases: base critic -> head critic.")


class CheckResult(BaseModel):
    """Everything the check's reports show."""

    base: str
    head: str
    base_commit: str | None = None
    head_commit: str | None = None
    passed: bool = Field(description="Every gate passed: the exit code is 0 (see `status` for the verdict).")
    status: Status = Field(
        default="passed",
        description="The verdict every output heads with: failed (a gate other than trust failed), inconclusive "
        "(the critic's trust over the base's gold is untrusted or unknown; exit 1 unless check.on_untrusted is "
        "warn), or passed.",
    )
    inconclusive: str | None = Field(
        default=None, description="Why the check is inconclusive (None when the critic can tell), as reports head it."
    )
    conclusive_advice: list[str] = Field(
        default_factory=list, description="What would make an inconclusive check conclusive."
    )
    settings: CheckSettings = Field(description="The gate rules applied (stricter of base and head).")
    judge: dict[str, Any] = Field(default_factory=dict, description="The critic settings that judged (the base's).")
    settings_changed: list[SettingChange] = Field(
        default_factory=list, description="critic: and check: values the head changed."
    )
    critic_change: CriticChange | None = None
    findings: list[Finding] = Field(default_factory=list, description="Head validation errors.")
    diff_summary: dict[str, Any] = Field(default_factory=dict)
    shift: ShiftReport | None = None
    gates: list[GateResult] = Field(default_factory=list)
    cancelled: bool = False

    @property
    def failures(self) -> list[GateResult]:
        return [g for g in self.gates if not g.passed]


def _stricter_max(a: float | int | None, b: float | int | None) -> Any:
    values = [v for v in (a, b) if v is not None]
    return min(values) if values else None


def effective_settings(base: CheckSettings | None, head: CheckSettings | None) -> CheckSettings:
    """Rule by rule, the stricter of the two versions' settings (defaults when one is unreadable)."""
    b = base or CheckSettings()
    h = head or CheckSettings()
    min_kappas = [v for v in (b.min_kappa, h.min_kappa) if v is not None]
    return CheckSettings(
        fail_on_gold_regression=b.fail_on_gold_regression or h.fail_on_gold_regression,
        max_over_refusal_increase=min(b.max_over_refusal_increase, h.max_over_refusal_increase),
        max_stable_flips_per_principle=_stricter_max(
            b.max_stable_flips_per_principle, h.max_stable_flips_per_principle
        ),
        fail_on_validation_errors=b.fail_on_validation_errors or h.fail_on_validation_errors,
        min_kappa=max(min_kappas) if min_kappas else None,
        allow_critic_change=b.allow_critic_change and h.allow_critic_change,
        allow_answer_key_change=b.allow_answer_key_change and h.allow_answer_key_change,
        on_untrusted="warn" if b.on_untrusted == h.on_untrusted == "warn" else "fail",
    )


def judge_settings(base: Workspace) -> CriticSettings:
    """The critic that judges a pull request: the base's (defaults when the base has none)."""
    return base.constitution.critic if base.constitution is not None else CriticSettings()


def evaluate_gates(
    settings: CheckSettings,
    findings: list[Finding],
    shift: ShiftReport | None,
    critic_change: CriticChange | None = None,
) -> list[GateResult]:
    """Apply each configured rule; every rule is listed, passed or not, so reports show what was checked."""
    gates: list[GateResult] = []
    if settings.fail_on_validation_errors:
        gates.append(
            GateResult(
                rule="validation",
                passed=not findings,
                message="head validates" if not findings else f"head has {plural(len(findings), 'validation error')}",
            )
        )
    if critic_change is not None:
        keys = ", ".join(s.key for s in critic_change.settings)
        files = any(s.key.startswith(JUDGE_FILES) for s in critic_change.settings)
        how = (
            "a judge folder resolves outside the repository through a symlink; refused as a judge"
            if refuses_judge(critic_change.settings)
            else "the judge's model files changed, so both sides ran the head's copy of them"
            if files
            else "judged by the base's critic"
        )
        gates.append(
            GateResult(
                rule="critic_change",
                passed=critic_change.allowed,
                message=f"critic changed ({keys}); {how}"
                + (
                    ""
                    if critic_change.allowed or refuses_judge(critic_change.settings)
                    else "; not allowed (check.allow_critic_change is false)"
                ),
            )
        )
    if shift is None:
        return gates
    if shift.cancelled:
        gates.append(GateResult(rule="complete", passed=False, message="scoring was cancelled; figures are partial"))
    gates.append(answer_key_gate(settings, shift))
    if settings.fail_on_gold_regression:
        gates.append(_gold_regression_gate(shift.overall.gold_regressions, no_longer_decided(shift.cases)))
    rise = shift.overall.over_refusal_increase
    limit = settings.max_over_refusal_increase
    ok = rise is None or rise <= limit + 1e-12
    gates.append(
        GateResult(
            rule="over_refusal",
            passed=ok,
            message=(
                "no benign cases to measure over-refusal"
                if rise is None
                else f"over-refusal on benign cases {shift.overall.over_refusal_base:.1%} → "
                f"{shift.overall.over_refusal_head:.1%} ({rise:+.1%}; tolerance +{limit:.1%})"
            ),
        )
    )
    if settings.max_stable_flips_per_principle is not None:
        cap = settings.max_stable_flips_per_principle
        over = _stable_flip_gates(shift.principles, cap)
        gates += over or [GateResult(rule="stable_flips", passed=True, message=f"no principle has more than {cap}")]
    for loc in shift.locales:
        gates += locale_gates(settings, loc)
    if settings.min_kappa is not None:
        kappa = shift.trust.overall.kappa.value
        ok = kappa is not None and kappa >= settings.min_kappa
        shown = "undefined" if kappa is None else f"{kappa:.2f}"
        gates.append(
            GateResult(
                rule="min_kappa",
                passed=ok,
                message=(
                    f"critic kappa on {plural(shift.trust.overall.n, 'gold case')} at head is {shown}"
                    + (f", at least {settings.min_kappa:.2f} required" if not ok else f" (>= {settings.min_kappa:.2f})")
                ),
            )
        )
    gates.append(trust_gate(settings, shift.trust))
    return gates


def answer_key_gate(settings: CheckSettings, shift: ShiftReport) -> GateResult:
    """Fails when the head changed the base's answer key, unless both sides allow it (listed either way)."""
    key = shift.answer_key
    if not key.changes:
        added = f"; the head adds {len(key.added)} (counted from the next base on)" if key.added else ""
        return GateResult(
            rule="answer_key_change",
            passed=True,
            message=f"the base's answer key ({key.gold_cases} gold, {plural(key.benign_cases, 'benign case')}) "
            f"is unchanged{added}",
        )
    cases = key.changed_case_ids
    listed = ", ".join(cases[:10]) + (f" and {len(cases) - 10} more" if len(cases) > 10 else "")
    kinds = ", ".join(dict.fromkeys(c.kind.replace("_", " ") for c in key.changes))
    return GateResult(
        rule="answer_key_change",
        passed=settings.allow_answer_key_change,
        message=f"the head changes the base's answer key ({kinds}) for {plural(len(cases), 'case')}: {listed}; "
        "judged by the base's gold and benign flags"
        + (
            " (check.allow_answer_key_change allows it)"
            if settings.allow_answer_key_change
            else "; not allowed (check.allow_answer_key_change is false)"
        ),
    )


def inconclusive_reason(trust: TrustReport) -> str | None:
    """'inconclusive — this critic cannot tell … (κ …, AUC …)' when trust over the base's gold is
    untrusted or unknown; None when the critic can tell."""
    a = trust.overall
    if a.level not in INCONCLUSIVE_LEVELS:
        return None
    figures = f"κ {a.kappa.text()}, AUC {a.auc.text()}"
    if a.level is TrustLevel.UNKNOWN:
        why = (
            f"whether it agrees with people: {a.n} of the base's gold cases could be judged, "
            f"at least {MIN_GOLD} are needed"
        )
    else:
        why = (
            f"a regression from noise: its agreement with the base's gold labels on {plural(a.n, 'case')} is "
            "indistinguishable from chance"
        )
    return f"inconclusive — this critic cannot tell {why} ({figures})"


def conclusive_advice(trust: TrustReport) -> list[str]:
    """What would make an inconclusive check conclusive, most useful first."""
    if trust.overall.level not in INCONCLUSIVE_LEVELS:
        return []
    need = max(MIN_GOLD - trust.overall.n, 0)
    more = f"at least {need} more, " if need else ""
    return [
        f"more gold: label {more}cases of the base with `gold:` (`cstudio review` lists those most worth a look); "
        "kappa's interval narrows as gold grows",
        "calibrate: fit per-principle thresholds on that gold with `cstudio calibrate`",
        "a stronger or served judge: set `critic.model` to a larger instruction-tuned model, or serve one "
        "(docs/critic.md); `cstudio critic compare` measures candidates on the gold",
    ]


def trust_gate(settings: CheckSettings, trust: TrustReport) -> GateResult:
    """Inconclusive when the critic cannot tell: fails unless check.on_untrusted is warn (listed either way)."""
    reason = inconclusive_reason(trust)
    a = trust.overall
    if reason is None:
        return GateResult(
            rule="trust",
            passed=True,
            message=f"critic trust {a.level.value.upper()} over {a.n} of the base's gold cases "
            f"(κ {a.kappa.text()}, AUC {a.auc.text()})",
        )
    warn = settings.on_untrusted == "warn"
    return GateResult(
        rule="trust",
        passed=warn,
        message=reason + ("; check.on_untrusted is warn, so it does not fail" if warn else ""),
    )


def check_status(gates: list[GateResult], shift: ShiftReport | None) -> Status:
    """failed when a gate other than trust failed; else inconclusive when the critic cannot tell; else passed."""
    if any(not g.passed and g.rule != "trust" for g in gates):
        return "failed"
    if shift is not None and inconclusive_reason(shift.trust) is not None:
        return "inconclusive"
    return "passed" if all(g.passed for g in gates) else "failed"


def with_gates(result: CheckResult, settings: CheckSettings, gates: list[GateResult]) -> CheckResult:
    """The result under these settings and gates: passed, status and the inconclusive reason in one place."""
    shift = result.shift
    return result.model_copy(
        update={
            "settings": settings,
            "gates": gates,
            "passed": all(g.passed for g in gates),
            "status": check_status(gates, shift),
            "inconclusive": inconclusive_reason(shift.trust) if shift is not None else None,
            "conclusive_advice": conclusive_advice(shift.trust) if shift is not None else [],
        }
    )


def locale_gates(settings: CheckSettings, loc: LocaleShift) -> list[GateResult]:
    """The gold-regression and stable-flip rules on one locale's shift (critic.locales)."""
    prefix = f"[{loc.locale}] "
    gates: list[GateResult] = []
    if settings.fail_on_gold_regression:
        gates.append(_gold_regression_gate(loc.overall.gold_regressions, no_longer_decided(loc.cases), prefix))
    if settings.max_stable_flips_per_principle is not None:
        gates += _stable_flip_gates(loc.principles, settings.max_stable_flips_per_principle, prefix)
    return gates


def no_longer_decided(cases: list[CaseShift]) -> list[str]:
    """Gold cases decided at base that no principle may decide at head (every linked principle
    deprecated there): the edit stopped judging them, which the gold rule must not miss."""
    return [
        c.case_id
        for c in cases
        if c.gold is not None
        and c.base is not None
        and c.base.label is not None
        and c.head is not None
        and c.head.label is None
        and not c.head.missing
    ]


def _gold_regression_gate(regressed: list[str], undecided: list[str], prefix: str = "") -> GateResult:
    problems = []
    if regressed:
        problems.append(
            f"{plural(len(regressed), 'gold case')} right at base {'is' if len(regressed) == 1 else 'are'} wrong "
            f"at head: {', '.join(regressed)}"
        )
    if undecided:
        problems.append(
            f"{plural(len(undecided), 'gold case')} no principle decides at head (every linked principle is "
            f"deprecated): {', '.join(undecided)}"
        )
    return GateResult(
        rule="gold_regression",
        passed=not problems,
        message=prefix + ("; ".join(problems) if problems else "no gold case regressed"),
    )


def _stable_flip_gates(principles: list[PrincipleShift], cap: int, prefix: str = "") -> list[GateResult]:
    """One failed gate per principle with more stable flips than `cap` (none when all are within it)."""
    return [
        GateResult(
            rule="stable_flips",
            passed=False,
            message=f"{prefix}{ps.principle_id}: {plural(ps.stats.n_flips_stable, 'stable flip')}, more than {cap}",
            principle_id=ps.principle_id,
        )
        for ps in principles
        if ps.stats.n_flips_stable > cap
    ]


def run_check(
    root: Path,
    base_ref: str,
    head_ref: str,
    *,
    use_cache: bool = True,
    critic_overrides: dict[str, Any] | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    locale: str | None = None,
    principles: Sequence[str] | None = None,
    opened: Callable[[Judge], None] | None = None,
) -> CheckResult:
    """Load both versions, diff them, score the shift and apply the gate rules.

    The judge is `critic:` of the base, a panel when it lists `critic.panel`. Raises
    StudioError (exit 2) for bad refs or a missing critic model; a failing gate is a result,
    not an exception, so the caller writes its reports before exiting. `principles` scopes
    the check to those principles' cases (`analyze_shift`); `opened` is told the judge as
    soon as it is opened (the CLI's progress bar shows its loading message).
    """
    from constitution_studio.core.versions import diff_refs

    diff, base, head = diff_refs(root, base_ref, head_ref)
    return check_versions(
        root,
        base,
        head,
        diff,
        use_cache=use_cache,
        critic_overrides=critic_overrides,
        cancel=cancel,
        progress=progress,
        locale=locale,
        principles=principles,
        opened=opened,
    )


def check_versions(
    root: Path,
    base: Workspace,
    head: Workspace,
    diff: ConstitutionDiff,
    *,
    open_judge: JudgeOpener = open_judge,
    use_cache: bool = True,
    critic_overrides: dict[str, Any] | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    locale: str | None = None,
    principles: Sequence[str] | None = None,
    opened: Callable[[Judge], None] | None = None,
) -> CheckResult:
    """`run_check` on loaded versions. `locale` judges statement + that addendum throughout;
    otherwise the base's critic.locales are reported (and gated) apart, one section each."""
    for pid in principles or []:
        if pid not in head.principles and pid not in base.principles:
            raise BadInputError(f"--principle {pid}: no such principle in {base.label} or {head.label}")
    settings = effective_settings(
        base.constitution.check if base.constitution else None,
        head.constitution.check if head.constitution else None,
    )
    findings = head.errors
    judge = judge_settings(base)
    if critic_overrides:
        judge = judge.model_copy(update=critic_overrides)
    settings_keys = [s for s in diff.settings if s.key.startswith("critic.")]
    critic_keys = settings_keys + judge_file_changes(root, judge, diff.base_commit)
    base_refused = refuses_judge(critic_keys)  # the base's judge folder now leads out of the repository
    if settings_keys and head.constitution is not None:
        critic_keys += head_judge_escapes(root, head.constitution.critic, judge, diff.base_commit)
    refused = refuses_judge(critic_keys)
    shift = None
    change = (
        CriticChange(settings=critic_keys, allowed=settings.allow_critic_change and not refused)
        if critic_keys
        else None
    )
    if (not findings or not settings.fail_on_validation_errors) and not base_refused:
        critic = open_judge(judge, root, use_cache=use_cache)
        if opened is not None:
            opened(critic)
        shift = analyze_shift(
            base,
            head,
            diff,
            critic,
            principles=principles,
            cancel=cancel,
            progress=progress,
            locale=locale,
            locales=report_locales(judge.locales, locale),
        )
        shift.warnings = list(dict.fromkeys([*shift.warnings, *critic.warnings]))
        # the head's own critic differs only when its settings do (changed model files are
        # loaded by both sides alike, from the work tree)
        head_judges = settings_keys and change is not None and head.constitution is not None and not refused
        if head_judges and head.constitution is not None and change is not None and not shift.cancelled:
            head_critic = head.constitution.critic
            if critic_overrides:
                head_critic = head_critic.model_copy(update=critic_overrides)
            change.shift = critic_change_shift(
                head, diff, critic, open_judge(head_critic, root, use_cache=use_cache), cancel=cancel
            )
    gates = evaluate_gates(settings, findings, shift, change)
    result = CheckResult(
        base=base.label,
        head=head.label,
        base_commit=diff.base_commit,
        head_commit=diff.head_commit,
        passed=all(g.passed for g in gates),
        settings=settings,
        judge=judge.model_dump(mode="json", exclude={"calibration"}),
        settings_changed=[*diff.settings, *critic_keys[len(settings_keys) :]],
        critic_change=change,
        findings=findings,
        diff_summary=diff.summary.model_dump(mode="json"),
        shift=shift,
        gates=gates,
        cancelled=bool(shift and shift.cancelled),
    )
    return with_gates(result, settings, gates)


def critic_change_shift(
    head: Workspace,
    diff: ConstitutionDiff,
    base_critic: Judge,
    head_critic: Judge,
    *,
    cancel: threading.Event | None = None,
) -> ShiftReport:
    """The head's affected, gold and benign cases under the base's critic vs under the head's."""
    _, why = affected_cases(head, head, diff)
    ids = sorted(set(why) | set(context_cases(head)))
    shown = anchor(head_critic, head)
    under_base = scored_version(head, base_critic)
    under_head = scored_version(head, head_critic, demonstrations=shown)
    run_b = score_versions(base_critic, [(under_base, case_requests(under_base, ids))], cancel=cancel)
    run_h = score_versions(head_critic, [(under_head, case_requests(under_head, ids))], cancel=cancel)
    empty = ConstitutionDiff(base=head.label, head=head.label)
    report = assemble_shift(
        under_base,
        under_head,
        empty,
        [],
        {cid: ["critic"] for cid in ids if cid in head.cases},
        critic_info(head_critic),
        run=run_h,
        warnings=head_critic.warnings,
    )
    report.requests += run_b.requests
    report.cached += run_b.cached
    report.model_calls += run_b.model_calls
    report.cancelled = run_b.cancelled or run_h.cancelled
    return report
