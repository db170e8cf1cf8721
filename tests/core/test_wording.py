"""The one wording of a critic's probability: it always names what it is the probability of."""

from __future__ import annotations

import pytest

from constitution_studio.core.wording import (
    gold_change,
    gold_text,
    label_word,
    noun,
    p_arrow,
    p_text,
    percent,
    plural,
    revision_outcome,
    verdict_sentence,
    verdict_short,
)


@pytest.mark.parametrize(
    ("label", "p", "kind", "short", "sentence"),
    [
        ("complies", 0.25, "single", "complies, P(violates) 0.25", "complies (25 % sure it violates)"),
        ("violates", 0.91, "single", "violates, P(violates) 0.91", "violates (91 % sure it violates)"),
        ("b", 0.46, "pair", "B preferred, P(A) 0.46", "B preferred (46 % sure A is better)"),
        ("a", 0.8, "pair", "A preferred, P(A) 0.80", "A preferred (80 % sure A is better)"),
        (None, None, "single", "not scored", "not scored"),
    ],
)
def test_a_probability_is_never_shown_as_confidence_in_the_label_beside_it(
    label: str | None, p: float | None, kind: str, short: str, sentence: str
) -> None:
    assert verdict_short(label, p, kind) == short  # type: ignore[arg-type]
    assert verdict_sentence(label, p, kind) == sentence  # type: ignore[arg-type]


def test_the_sentence_names_the_principle_when_given() -> None:
    assert (
        verdict_sentence("complies", 0.21, "single", "AUTO-01") == "complies (21 % sure the response violates AUTO-01)"
    )
    assert verdict_sentence("a", 0.7, "pair", "HON-01") == "A preferred (70 % sure A follows HON-01 better)"


def test_numbers_and_edges() -> None:
    assert p_text(None, "single") == "P(violates) –"
    assert p_text(-0.0, "pair") == "P(A) 0.00"
    assert p_arrow(0.25, 0.61, "single") == "P(violates) 0.25 → 0.61"
    assert percent(0.001) == "<1 %" and percent(0.999) == ">99 %" and percent(1.0) == "100 %"
    assert label_word("a") == "A preferred" and label_word(None) == "–"


def test_gold_says_whose_label_it_is() -> None:
    assert gold_text("violates") == "gold (case): violates"
    assert gold_text("complies", "HARM-02") == "gold (HARM-02): complies"
    assert gold_text(None) == "no gold"
    assert gold_change("violates", "complies") == "gold (case): violates → complies"
    assert gold_change(None, "a", "HON-01") == "gold (HON-01): none → A preferred"


def test_revision_outcome_names_the_round_or_how_many_were_tried() -> None:
    assert revision_outcome(2, 2) == "accepted in round 2"
    assert revision_outcome(None, 2) == "never complied after 2 rounds"
    assert revision_outcome(None, 1) == "never complied after 1 round"


def test_counts_read_as_words_never_as_code() -> None:
    assert [plural(n, "case") for n in (0, 1, 2)] == ["0 cases", "1 case", "2 cases"]
    assert plural(1, "gold case") == "1 gold case" and plural(3, "gold case") == "3 gold cases"
    assert plural(1, "entry", "entries") == "1 entry" and plural(2, "entry", "entries") == "2 entries"
    # the word alone, for a list that follows it
    assert f"unknown {noun(1, 'principle')} HARM-09" == "unknown principle HARM-09"
    assert f"unknown {noun(2, 'principle')} A, B" == "unknown principles A, B"
