"""Relinking cases edits only the link scalars, however the file is written."""

from __future__ import annotations

import pytest

from constitution_studio.core.authoring import relink_text
from constitution_studio.core.yamldoc import load_fast
from constitution_studio.errors import BadInputError

FILE = """\
# cases
cases:
  - id: a
    principles: [HARM-01, "HARM-01", 'HELP-01']   # flow
    prompt: |
      principles: [HARM-01]
    response: HARM-01 is mentioned here
  - id: b
    principles:
      - HARM-01   # block
      - HON-01
    prompt: p
    response: r
"""


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_only_links_change(prefix: bytes, newline: bytes) -> None:
    raw = prefix + FILE.encode().replace(b"\n", newline)
    out = relink_text(raw, "eval_cases/x.yaml", "HARM-01", "SAFE-07")
    assert out is not None and out.startswith(prefix)
    assert out == raw.replace(b'[HARM-01, "HARM-01"', b'[SAFE-07, "SAFE-07"').replace(
        b"- HARM-01   # block", b"- SAFE-07   # block"
    )
    data = load_fast(out.decode())
    assert data["cases"][0]["prompt"] == "principles: [HARM-01]\n"
    assert data["cases"][1]["principles"] == ["SAFE-07", "HON-01"]


def test_anchors_and_aliases_are_checked_by_parsing_again() -> None:
    text = "cases:\n  - id: a\n    principles: [&p HARM-01]\n    prompt: x\n  - id: b\n    principles: [*p]\n"
    out = relink_text(text.encode(), "eval_cases/x.yaml", "HARM-01", "SAFE-07")
    assert out is not None  # the anchored scalar changes, and the alias follows it
    assert load_fast(out.decode())["cases"][1]["principles"] == ["SAFE-07"]


def test_an_alias_to_a_value_elsewhere_is_refused() -> None:
    text = "x: &p HARM-01\ncases:\n  - id: a\n    principles: [*p, HARM-01]\n"
    with pytest.raises(BadInputError, match="more than the links"):
        relink_text(text.encode(), "eval_cases/x.yaml", "HARM-01", "SAFE-07")


def test_nothing_to_relink() -> None:
    assert relink_text(b"cases:\n  - id: a\n    principles: [HON-01]\n", "x", "HARM-01", "SAFE-07") is None
