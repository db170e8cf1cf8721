"""The priority list's group comments, read as headers for the studio's principle list."""

from __future__ import annotations

from pathlib import Path

from constitution_studio.core.priority_groups import header_text, priority_groups

REPO = Path(__file__).resolve().parents[2]


def test_example_constitution_tiers() -> None:
    text = (REPO / "principles" / "constitution.yaml").read_text(encoding="utf-8")
    assert priority_groups(text) == [
        ("HARM-01", "Tier 1: serious harm"),
        ("HON-01", "Tier 2: honesty"),
        ("PRIV-01", "Tier 3: privacy"),
        ("FAIR-01", "Tier 4: fairness"),
        ("AUTO-01", "Tier 5: autonomy"),
        ("HELP-01", "Tier 6: helpfulness"),
    ]


def test_inline_comment_is_not_a_header_and_trailing_section_comment_is_ignored() -> None:
    text = "priority:\n- A  # inline note\n- B\n# Second group. Why it ranks here.\n- C\n\n# The critic.\ncritic: {}\n"
    assert priority_groups(text) == [("C", "Second group")]


def test_block_nearest_the_item_wins_and_long_lines_are_cut() -> None:
    long = "x" * 100
    text = f"priority:\n  # an old note\n\n  # First group. more\n  - A\n  # {long}\n  - B\n"
    groups = priority_groups(text)
    assert groups[0] == ("A", "First group")
    assert groups[1][0] == "B" and groups[1][1].endswith("…") and len(groups[1][1]) <= 72


def test_no_comments_flow_list_or_broken_yaml_give_nothing() -> None:
    assert priority_groups("priority:\n  - A\n  - B\n") == []
    assert priority_groups("priority: [A, B]\n") == []
    assert priority_groups("priority: [A,\n") == []
    assert priority_groups("- just a list\n") == []


def test_header_text_first_sentence_only() -> None:
    assert header_text("# Tier 1: harm. Long reasoning\n# on two lines.\n") == "Tier 1: harm"
    assert header_text("#\n# Privacy\n") == "Privacy"
    assert header_text("\n") == ""
