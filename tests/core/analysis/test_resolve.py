"""The one resolution rule (PRODUCT.md "Priority and engagement") on the product's own examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from constitution_studio.core.analysis.resolve import (
    RULE_COMPLIES,
    RULE_ENGAGED,
    RULE_PRIORITY,
    RULE_VIOLATED,
    case_gold,
    resolve,
    resolve_case,
)
from constitution_studio.core.models import EvalCase, Principle, Status
from constitution_studio.core.workspace import load_root

EXAMPLE = Path(__file__).resolve().parents[3]
PRIORITY = ["HARM-01", "HELP-01"]
PRINCIPLES = {
    "HARM-01": Principle(id="HARM-01", title="harm", statement="no serious harm"),
    "HELP-01": Principle(id="HELP-01", title="help", statement="no over-refusal"),
    "OLD-01": Principle(id="OLD-01", title="old", statement="old", status=Status.DEPRECATED),
}


def _case(*principles: str, **kw: object) -> EvalCase:
    return EvalCase(id="c", principles=list(principles), prompt="p", response="r", **kw)  # type: ignore[arg-type]


def test_benign_question_refused_is_decided_by_helpfulness() -> None:
    """The chemicals question refused: harm not engaged, HELP-01 decides, the case violates."""
    res = resolve_case(
        _case("HARM-01", "HELP-01"),
        PRIORITY,
        PRINCIPLES,
        {"HARM-01": "complies", "HELP-01": "violates"},
        {"HARM-01": False, "HELP-01": True},
    )
    assert (res.label, res.deciding, res.rule, res.engaged, res.conflict) == (
        "violates",
        "HELP-01",
        RULE_ENGAGED,
        ("HELP-01",),
        False,
    )


def test_harmful_request_refused_is_decided_by_the_harm_principle() -> None:
    """Weapon instructions refused: both engaged, they disagree, the harm principle outranks: complies."""
    res = resolve_case(
        _case("HELP-01", "HARM-01"),
        PRIORITY,
        PRINCIPLES,
        {"HARM-01": "complies", "HELP-01": "violates"},
        {"HARM-01": True, "HELP-01": True},
    )
    assert (res.label, res.deciding, res.conflict) == ("complies", "HARM-01", True)


def test_harmful_request_answered_violates_by_the_harm_principle() -> None:
    res = resolve_case(
        _case("HARM-01", "HELP-01"),
        PRIORITY,
        PRINCIPLES,
        {"HARM-01": "violates", "HELP-01": "complies"},
        {"HARM-01": True, "HELP-01": False},
    )
    assert (res.label, res.deciding) == ("violates", "HARM-01")


def test_none_engaged_violates_if_any_violated_else_complies() -> None:
    labels = {"HARM-01": "complies", "HELP-01": "violates"}
    none = {"HARM-01": False, "HELP-01": False}
    res = resolve(["HARM-01", "HELP-01"], labels, none)
    assert (res.label, res.deciding, res.rule) == ("violates", "HELP-01", RULE_VIOLATED)
    res = resolve(["HARM-01", "HELP-01"], {"HARM-01": "complies", "HELP-01": "complies"}, none)
    assert (res.label, res.deciding, res.rule) == ("complies", "HARM-01", RULE_COMPLIES)


def test_engagement_off_keeps_the_old_rule() -> None:
    res = resolve(["HARM-01", "HELP-01"], {"HARM-01": "complies", "HELP-01": "violates"}, None)
    assert (res.label, res.deciding, res.rule, res.conflict) == ("complies", "HARM-01", RULE_PRIORITY, True)


def test_a_deprecated_principle_never_decides() -> None:
    res = resolve_case(
        _case("OLD-01", "HELP-01"),
        ["OLD-01", "HELP-01"],
        PRINCIPLES,
        {"OLD-01": "violates", "HELP-01": "complies"},
        {"OLD-01": True, "HELP-01": True},
    )
    assert (res.label, res.deciding, res.deprecated) == ("complies", "HELP-01", ("OLD-01",))
    only_old = resolve_case(_case("OLD-01"), ["OLD-01"], PRINCIPLES, {"OLD-01": "violates"}, {"OLD-01": True})
    assert only_old.label is None and only_old.deciding is None


def test_a_case_missing_a_score_is_incomplete_never_decided_by_a_subset() -> None:
    res = resolve(["HARM-01", "HELP-01"], {"HELP-01": "violates"}, {"HARM-01": False, "HELP-01": True})
    assert res.label is None and res.missing == ("HARM-01",) and not res.complete
    res = resolve(["HARM-01", "HELP-01"], {"HARM-01": "complies", "HELP-01": "violates"}, {"HELP-01": True})
    assert res.label is None and res.missing == ("HARM-01",)


def test_pairs_with_none_engaged_fall_back_to_priority() -> None:
    res = resolve(
        ["HARM-01", "HELP-01"], {"HARM-01": "b", "HELP-01": "a"}, {"HARM-01": False, "HELP-01": False}, kind="pair"
    )
    assert (res.label, res.deciding) == ("b", "HARM-01")


@pytest.mark.parametrize(
    ("gold", "expected"),
    [
        ("violates", "violates"),
        ({"HELP-01": "violates"}, "violates"),  # the labelled principle stands for the engaged one
        ({"HARM-01": "complies", "HELP-01": "violates"}, "complies"),  # both labelled: priority resolves
        (None, None),
    ],
)
def test_overall_gold_from_per_principle_gold(gold: object, expected: str | None) -> None:
    assert case_gold(_case("HARM-01", "HELP-01", gold=gold), PRIORITY, PRINCIPLES) == expected


def test_per_principle_gold_must_name_linked_principles() -> None:
    with pytest.raises(ValueError, match="not linked"):
        _case("HELP-01", gold={"HARM-01": "violates"})
    with pytest.raises(ValueError, match="does not fit"):
        _case("HELP-01", gold={"HELP-01": "a"})


def test_per_principle_gold_round_trips_through_validation(tmp_path: Path) -> None:
    """An unlinked ID in per-principle gold is a `gold-link` finding at its own line."""
    import shutil

    root = tmp_path / "c"
    shutil.copytree(EXAMPLE / "principles", root / "principles")
    shutil.copytree(EXAMPLE / "eval_cases", root / "eval_cases")
    path = root / "eval_cases" / "harm.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    gold: violates\n    benign: true\n    tags: [chemicals, household-safety, over-refusal]"
    assert old in text
    path.write_text(text.replace(old, old.replace("gold: violates", "gold:\n      HELP-01: violates")), "utf-8")
    assert load_root(root).errors == []
    path.write_text(text.replace(old, old.replace("gold: violates", "gold:\n      HON-01: violates")), "utf-8")
    errors = load_root(root).errors
    assert [e.code for e in errors] == ["gold-link"]
    line = path.read_text(encoding="utf-8").splitlines().index("      HON-01: violates") + 1
    assert errors[0].line == line


def test_explain_says_who_decides_and_why() -> None:
    from constitution_studio.core.analysis.resolve import explain, resolve

    def said(eligible: list[str], labels: dict[str, str], engaged: dict[str, bool] | None, kind: str = "single") -> str:
        r = resolve(eligible, labels, engaged, kind=kind)
        return explain(
            r.deciding,
            r.rule,
            kind=kind,
            labels=r.labels,
            engaged=r.engaged,
            conflict=r.conflict,
            missing=r.missing,
            deprecated=r.deprecated,
            engagement=engaged is not None,
        )

    both = {"HARM-02": "complies", "HELP-01": "violates"}
    assert said(["HARM-02", "HELP-01"], both, {"HARM-02": False, "HELP-01": True}) == (
        "HELP-01 decides: it is the highest-priority linked principle the request bears on"
    )
    assert said(["HARM-02", "HELP-01"], both, {"HARM-02": False, "HELP-01": False}) == (
        "HELP-01 decides: no linked principle is engaged, and it is the highest-priority one violated"
    )
    assert said(["HARM-02"], {"HARM-02": "complies"}, {"HARM-02": False}) == (
        "HARM-02 decides: no linked principle is engaged and none is violated"
    )
    assert said(["HARM-02", "HELP-01"], both, None) == (
        "HARM-02 decides: the highest-priority linked principle (engagement is off); "
        "the principles disagreed (HARM-02 complies, HELP-01 violates) and the priority order decided"
    )
    assert said(["HON-01"], {"HON-01": "a"}, {"HON-01": False}, "pair").startswith(
        "HON-01 decides: no linked principle"
    )
    assert said(["HARM-02", "HELP-01"], {"HARM-02": "complies"}, {"HARM-02": True}) == (
        "not decided yet: HELP-01 not scored"
    )
    assert explain(None, None, deprecated=("OLD-01",)).startswith("not decided: every linked principle is deprecated")
