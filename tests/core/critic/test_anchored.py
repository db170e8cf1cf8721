"""Method `anchored`: deterministic, label-balanced demonstrations that are left out of
agreement; locale addenda reach the wording (and so the prompt and the cache key)."""

from __future__ import annotations

from constitution_studio.core.critic.anchored import (
    localized_statement,
    select_demonstrations,
    without_demonstrations,
)
from constitution_studio.core.critic.cache import score_key
from constitution_studio.core.critic.templates import V1, user_message
from constitution_studio.core.models import EvalCase, Principle


def _case(i: int, gold: str | None, principle: str = "LANG-01") -> EvalCase:
    return EvalCase(id=f"c-{i:02d}", principles=[principle], prompt=f"q{i}", response=f"r{i}", gold=gold)  # type: ignore[arg-type]


CASES = [_case(i, "violates" if i % 3 == 0 else "complies") for i in range(12)] + [
    _case(20, None),
    _case(21, "violates", principle="OTHER-01"),
]


def test_demonstrations_are_balanced_deterministic_and_linked() -> None:
    demo_set = select_demonstrations("LANG-01", CASES, k=4)
    labels = [d.violates for d in demo_set.demos]
    assert labels.count(True) == 2 and labels.count(False) == 2
    assert all(d.case.gold is not None and "LANG-01" in d.case.principles for d in demo_set.demos)
    again = select_demonstrations("LANG-01", list(reversed(CASES)), k=4)
    assert again.ids == demo_set.ids and again.key == demo_set.key
    # adding an unrelated case never reshuffles them
    assert select_demonstrations("LANG-01", [*CASES, _case(30, "complies", "OTHER-01")]).ids == demo_set.ids


def test_demonstrations_are_excluded_from_agreement_n() -> None:
    demo_set = select_demonstrations("LANG-01", CASES, k=4)
    gold = [c for c in CASES if c.gold is not None and "LANG-01" in c.principles]
    measured = without_demonstrations(gold, demo_set)
    assert len(gold) == 12 and len(measured) == 8  # n excludes the 4 shown to the judge
    assert not set(demo_set.ids) & {c.id for c in measured}


def test_few_gold_cases_give_fewer_demonstrations() -> None:
    demo_set = select_demonstrations("LANG-01", [_case(1, "violates")], k=4)
    assert len(demo_set.demos) == 1


def test_locale_addendum_reaches_prompt_and_cache_key() -> None:
    principle = Principle(
        id="LANG-01",
        title="Language",
        statement="The assistant replies in the language the user wrote in.",
        locales={"de-CH": "Swiss German requests may be answered in standard German."},
    )
    plain = localized_statement(principle, None)
    swiss = localized_statement(principle, "de-CH")
    assert plain == principle.statement
    assert localized_statement(principle, "fr-FR") == principle.statement  # no addendum: the statement
    assert "Swiss German requests" in swiss
    case = _case(1, None)
    assert "Swiss German requests" in user_message(V1.variants["default"], "violates", swiss, case)

    def key(statement: str) -> str:
        return score_key(
            model="m",
            template="t",
            method="plain",
            variant="default",
            statement=statement,
            case_hash=case.content_hash(),
            kind="single",
        )

    assert key(plain) != key(swiss)
    edited = principle.model_copy(update={"locales": {"de-CH": "Answer Swiss German in Swiss German."}})
    assert key(localized_statement(edited, "de-CH")) != key(swiss)  # an addendum edit is a reword


def test_an_overall_label_on_a_case_linked_to_several_principles_is_no_demonstration() -> None:
    """Overall gold answers for the deciding principle, unknown before engagement is judged;
    a per-principle label names its principle, so it may be shown for that one alone."""
    both = EvalCase(id="c-40", principles=["LANG-01", "HARM-01"], prompt="q", response="r", gold="violates")  # type: ignore[arg-type]
    per = EvalCase(id="c-41", principles=["LANG-01", "HARM-01"], prompt="q", response="r", gold={"HARM-01": "complies"})  # type: ignore[arg-type]
    assert list(select_demonstrations("LANG-01", [both, per], k=4).ids) == []
    assert list(select_demonstrations("HARM-01", [both, per], k=4).ids) == ["c-41"]
