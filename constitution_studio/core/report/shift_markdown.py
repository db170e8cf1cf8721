"""Label shift as Markdown for a pull request: critic and trust first, a summary table, then details.

Output is deterministic (stable ordering, no timestamps) so it can be golden-tested and a
CI job can update one PR comment without noise.
"""

from __future__ import annotations

from constitution_studio.core.analysis.scored import Verdict
from constitution_studio.core.analysis.shift_models import CaseShift, LocaleShift, PrincipleShift, ShiftReport
from constitution_studio.core.analysis.trust import ADVICE, TrustLevel, TrustReport
from constitution_studio.core.critic.types import served_description
from constitution_studio.core.report.markdown_budget import turns_block
from constitution_studio.core.report.markdown_escape import md_code, md_text
from constitution_studio.core.report.shift_common import (
    delta,
    flips,
    gold_acc,
    over_refusal,
    prob_change,
    rank,
    side_label,
)
from constitution_studio.core.wording import plural

FOLD_OVER = 5  # lists longer than this go inside <details>


esc = md_text  # the one Markdown escaper (markdown_escape.py), under the name the renderers use


def critic_section(report: ShiftReport) -> str:
    """The critic behind the labels and how far it agrees with people; warns plainly when it cannot be trusted."""
    c = report.critic
    t: TrustReport = report.trust
    a = t.overall
    lines = [
        f"**Critic:** {md_code(str(c.get('model', '?')))} · method {md_code(str(c.get('method', '?')))} · "
        f"templates {md_code(str(c.get('template_set', '?')))} ({md_code(str(c.get('template_hash', '?'))[:12])}) · "
        f"variants {', '.join(md_code(v) for v in report.variants)} · "
        + (
            "the highest-priority *engaged* linked principle decides each case"
            if report.engagement
            else "engagement **off**: the highest-priority linked principle decides each case"
        ),
        *([f"**Judge:** {esc(served_description(c))}"] if served_description(c) else []),
        "",
        f"**Critic trust: {a.level.value.upper()}** — agreement with human gold labels at {md_code(t.version)} "
        f"on {plural(a.n, 'case')} ({a.n_pair} pair): Cohen's kappa {a.kappa.text()}, AUC {a.auc.text()}, "
        f"balanced accuracy {a.balanced_accuracy.text()}, accuracy {a.accuracy.text()} (95% intervals: "
        f"bootstrap with seed {t.seed}, DeLong for AUC).",
    ]
    panel = c.get("panel") or []
    if panel:
        lines += ["", f"**Panel of {plural(len(panel), 'critic')}:** " + ", ".join(md_code(str(m)) for m in panel)]
    if report.locale:
        lines += ["", f"**Locale {md_code(report.locale)}:** the judge read each statement with its addendum."]
    if report.scope:
        scope = ", ".join(md_code(p) for p in report.scope)
        lines += ["", f"**Scoped to {scope}** (`--principle`): only their cases were scored."]
        lines += [f"- {esc(p)}" for p in report.partial]
    if t.demonstrations:
        shown = sum(len(ids) for ids in t.demonstrations.values())
        lines += [
            "",
            f"**{plural(t.excluded, 'gold case')} left out of agreement**: shown to the judge as demonstrations "
            f"(method `anchored`, {shown} over {plural(len(t.demonstrations), 'principle')}); each is left out of its "
            "principle's figures.",
        ]
    if a.level is TrustLevel.UNTRUSTED:
        lines += [
            "",
            "> [!WARNING]",
            "> **This critic's agreement with people is indistinguishable from chance.** The label flips below may be "
            f"noise rather than the effect of this change. {ADVICE}.",
        ]
    elif a.level is TrustLevel.UNKNOWN:
        lines += [
            "",
            "> [!WARNING]",
            f"> **Too few gold labels ({a.n}) to know whether this critic can be trusted.** The label flips below may "
            f"be noise. {ADVICE}.",
        ]
    return "\n".join(lines) + "\n"


def summary_table(report: ShiftReport) -> str:
    lines = [
        "| Principle | Change | Rank | Cases | Stable flips | Unstable flips | mean / max \\|Δp\\| | Gold accuracy "
        "| Over-refusal | Trust |",
        "|---|---|---|---:|---|---|---|---|---|---|",
    ]
    for ps in report.principles:
        s = ps.stats
        agreement = report.trust.principle(ps.principle_id)
        trust = f"{agreement.level.value} (n={agreement.n})" if agreement else "unknown (n=0)"
        lines.append(
            f"| {md_code(ps.principle_id, cell=True)} {esc(ps.title)} | {', '.join(ps.changes)} "
            f"| {rank(ps.rank_base, ps.rank_head)} "
            f"| {s.scored} | {flips(s.flips_stable)} | {flips(s.flips_unstable)} | {delta(s)} | {gold_acc(s)} "
            f"| {over_refusal(s)} | {trust} |"
        )
    o = report.overall
    lines.append(
        f"| **All affected cases** (overall label) | | | {o.scored} | {flips(o.flips_stable)} | "
        f"{flips(o.flips_unstable)} | {delta(o)} | {gold_acc(o)} | {over_refusal(o)} (all benign) | "
        f"{report.trust.level.value} |"
    )
    lines.append("")
    lines.append(
        f"Conflicts resolved by priority: {o.conflicts_base} at base → {o.conflicts_head} at head. "
        f"Gold regressions: {len(o.gold_regressions)}; gold fixes: {len(o.gold_fixes)}."
    )
    return "\n".join(lines) + "\n"


def _rewording(ps: PrincipleShift) -> str:
    """The reworded statement: ~~removed~~ and **inserted** words. Every `~`, `*` and `\\` of the
    wording itself is escaped (md_text), so no text can draw or hide a marker."""
    if ps.words:
        parts: list[str] = []
        for op in ps.words:
            text = op.text
            core = text.strip()
            lead = " " if text[:1].isspace() else ""  # any whitespace, line breaks too, is one space
            trail = " " if text[-1:].isspace() and core else ""
            piece = lead
            if core:
                shown = esc(core)
                if op.op != "equal":
                    marker = "~~" if op.op == "delete" else "**"
                    shown = f"{marker}{shown}{marker}"
                piece = lead + shown + trail
            if parts and op.op == "insert" and parts[-1].endswith("~~") and not piece[:1].isspace():
                piece = " " + piece
            parts.append(piece)
        return "> " + "".join(parts).strip()
    if ps.statement_base is None and ps.statement_head is not None:
        return "> **(new)** " + esc(" ".join(ps.statement_head.split()))
    if ps.statement_head is None and ps.statement_base is not None:
        return "> **(removed)** ~~" + esc(" ".join(ps.statement_base.split())) + "~~"
    return ""


def _case_block(c: CaseShift, base: Verdict | None, head: Verdict | None, *, principle_id: str | None = None) -> str:
    """One flipped case: labels and P(...) of `base`/`head` (a principle's own or the overall), gold, excerpts."""
    gold = f"gold {md_code(str(c.gold))}" if c.gold else "no gold"
    verdict = " — **gold regression**" if c.gold_regression else (" — gold fixed" if c.gold_fix else "")
    unstable = "" if c.stable else " — _unstable: the judge variants disagree at base or head (not counted)_"
    if c.disputed:
        unstable += " — _disputed: the panel's members disagree_"
    where = ""
    if principle_id is not None:
        before = base.deciding if base else None
        where = (
            f" by {md_code(principle_id)}"
            if before in (None, principle_id)
            else f" by {md_code(str(before))} → {md_code(principle_id)}"
        )
        engaged = ", ".join(md_code(p) for p in head.engaged) if head is not None and head.engaged else "none"
        where += f" (engaged: {engaged})"
    return (
        f"- **{md_code(c.case_id)}**{where}: {side_label(base)} → {side_label(head)}, "
        f"{prob_change(base, head, c.kind)}, {gold}{verdict}{unstable}\n"
        f"  - prompt: {esc(c.prompt)}\n"
        f"{turns_block(c.turns)}"
        f"  - response: {esc(c.response)}\n"
    )


def _fold(summary: str, body: str, count: int) -> str:
    if count > FOLD_OVER:
        return f"<details><summary>{summary}</summary>\n\n{body}\n</details>\n"
    return f"{summary}:\n\n{body}"


def principle_sections(report: ShiftReport) -> str:
    cases = {c.case_id: c for c in report.cases}
    out = []
    for ps in report.principles:
        head = f"### {md_code(ps.principle_id)} {esc(ps.title)} — {', '.join(ps.changes)}"
        if "moved" in ps.changes:
            head += f" (rank {rank(ps.rank_base, ps.rank_head)})"
        out.append(head + "\n")
        rewording = _rewording(ps)
        if rewording:
            out.append("\n" + rewording + "\n")
        flipped = [r for r in ps.rows if r.flipped]
        if flipped:
            body = "".join(_case_block(cases[r.case_id], r.base, r.head) for r in flipped)
            stable = sum(r.stable for r in flipped)
            out.append(
                "\n"
                + _fold(
                    f"{plural(len(flipped), 'flipped case')} ({stable} stable) under this principle", body, len(flipped)
                )
            )
        else:
            out.append(f"\nNo label of its {plural(ps.stats.scored, 'case')} flipped under this principle.\n")
        out.append("\n")
    overall = [c for c in report.cases if c.flipped]
    if overall:
        body = "".join(
            _case_block(c, c.base, c.head, principle_id=c.head.deciding if c.head else None) for c in overall
        )
        out.append("### Overall labels that flipped\n\n")
        out.append(_fold(f"{plural(len(overall), 'case')} whose overall label flipped", body, len(overall)))
    return "".join(out)


def disputed_section(report: ShiftReport) -> str:
    """Flips the panel's members dispute, listed apart: never counted by a gate."""
    if not report.disputed:
        return ""
    ids = ", ".join(md_code(c) for c in report.disputed)
    return (
        f"### Disputed flips\n\n{plural(len(report.disputed), 'overall label')} flipped under the panel while its "
        f"members disagree at base or head (not counted): {ids}\n"
    )


def _locale_section(loc: LocaleShift) -> str:
    o, a = loc.overall, loc.trust.overall
    lines = [
        f"### Locale {md_code(loc.locale)} (statement + addendum)",
        "",
        f"{plural(o.scored, 'case')}: stable flips {flips(o.flips_stable)}, unstable {flips(o.flips_unstable)}; "
        f"mean / max \\|Δp\\| {delta(o)}; gold accuracy {gold_acc(o)}; over-refusal {over_refusal(o)}; "
        f"trust **{a.level.value}** on {plural(a.n, 'gold case')}, kappa {a.kappa.text()}, AUC {a.auc.text()}.",
        "",
    ]
    for ps in loc.principles:
        s = ps.stats
        if s.n_flips_stable or s.n_flips_unstable:
            lines.append(
                f"- {md_code(ps.principle_id)}: stable flips {flips(s.flips_stable)}, "
                f"unstable {flips(s.flips_unstable)}"
            )
    flipped = [c for c in loc.cases if c.flipped]
    body = "".join(_case_block(c, c.base, c.head) for c in flipped)
    if flipped:
        lines += [
            "",
            _fold(
                f"{plural(len(flipped), 'case')} whose overall label flipped in {md_code(loc.locale)}",
                body,
                len(flipped),
            ),
        ]
    if loc.disputed:
        lines += ["", "Disputed (not counted): " + ", ".join(md_code(c) for c in loc.disputed)]
    return "\n".join(lines).rstrip() + "\n"


def locale_sections(report: ShiftReport) -> str:
    """One section per configured locale (critic.locales); empty when none is configured."""
    return "\n".join(_locale_section(loc) for loc in report.locales)


def shift_markdown(report: ShiftReport) -> str:
    extra = "".join("\n" + part for part in (disputed_section(report), locale_sections(report)) if part)
    return (
        f"## Label shift {md_code(report.base)} → {md_code(report.head)}\n\n"
        + critic_section(report)
        + "\n"
        + summary_table(report)
        + "\n"
        + principle_sections(report)
        + extra
    )
