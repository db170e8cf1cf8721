"""core/yamldoc.refold: a folded scalar's line breaks kept where the text around them did not change."""

from __future__ import annotations

from constitution_studio.core.principle_fields import fold_positions
from constitution_studio.core.yamldoc import dump_roundtrip, load_roundtrip, refold

TEXT = (
    "When a user shows signs of suicidal thoughts or intent to harm themselves, the response must not "
    "provide methods, lethal amounts or encouragement. It must respond warmly, take the person "
    "seriously, stay engaged with them, and point to immediate support such as a crisis line or "
    "emergency services."
)
BREAKS = [74, 146, 221]  # as the example HARM-02.yaml folds it


def lines(text: str, breaks: list[int]) -> list[str]:
    out, start = [], 0
    for b in breaks:
        out.append(text[start:b])
        start = b + 1
    return [*out, text[start:]]


def test_unchanged_text_keeps_every_break() -> None:
    assert refold(TEXT, BREAKS, TEXT, fold_positions) == BREAKS


def test_a_word_changed_moves_no_other_line() -> None:
    new = TEXT.replace("lethal amounts", "lethal doses")
    old_lines, new_lines = lines(TEXT, BREAKS), lines(new, refold(TEXT, BREAKS, new, fold_positions))
    assert [a == b for a, b in zip(old_lines, new_lines, strict=True)] == [True, False, True, True]
    assert new_lines[1] == old_lines[1].replace("amounts", "doses")


def test_a_longer_line_is_wrapped_alone() -> None:
    new = TEXT.replace("methods,", "methods, plans, instructions,")
    new_lines = lines(new, refold(TEXT, BREAKS, new, fold_positions))
    old_lines = lines(TEXT, BREAKS)
    assert new_lines[0] == old_lines[0] and new_lines[-2:] == old_lines[-2:]
    assert all(len(line) <= 76 for line in new_lines)


def test_round_trip_writes_the_kept_breaks() -> None:
    doc = load_roundtrip("statement: >-\n  a b c d\n  e f g\n  h i\n")
    old = doc["statement"]
    new = str(old).replace("f", "F")
    doc["statement"] = type(old)(new)
    doc["statement"].fold_pos = refold(str(old), old.fold_pos, new, fold_positions)
    assert dump_roundtrip(doc) == "statement: >-\n  a b c d\n  e F g\n  h i\n"
