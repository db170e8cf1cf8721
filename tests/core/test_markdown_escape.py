"""The one Markdown escaper (core/report/markdown_escape.py): each trick, rendered inert."""

from __future__ import annotations

import pytest

from constitution_studio.core.report.markdown_escape import ZWSP, md_code, md_quote, md_text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("# ✅ passed", "\\# ✅ passed"),  # no heading
        ("a\n## b", "a ## b"),  # no line of its own: newlines collapse (mid-line, # is text)
        ("a\r\nb\u2028c\x85d", "a b c d"),
        ("```\nfence", "\\`\\`\\` fence"),
        ("**b** ~~s~~ _i_", "\\*\\*b\\*\\* \\~\\~s\\~\\~ \\_i\\_"),
        ("| a | b |", "\\| a \\| b \\|"),
        ("<img src=x> <!-- m -->", "&lt;img src=x&gt; &lt;!-- m --&gt;"),
        ("![i](//evil.example/p.png)", f"!\\[i\\](/{ZWSP}/evil.example/p.png)"),
        ("[x](https://e.example)", f"\\[x\\](https:/{ZWSP}/e.example)"),
        ("//evil.example/p.png", f"/{ZWSP}/evil.example/p.png"),
        ("@alice #12 GH-7 www.e.example", f"@{ZWSP}alice #{ZWSP}12 GH{ZWSP}-7 www{ZWSP}.e.example"),
        ("&#64;bob", f"&amp;#{ZWSP}64;bob"),  # an entity cannot smuggle an @
        ("$x$", "\\$x\\$"),
        ("- item", "\\- item"),
        ("1. one", "1\\. one"),
        ("===", "\\==="),
        ("a\x1bb\x00c\u202ed\ud800", "a\\\\x1bb\\\\x00c\\\\u202ed\\\\ud800"),  # shown, escaped
    ],
)
def test_md_text(text: str, shown: str) -> None:
    assert md_text(text) == shown
    md_text(text).encode("utf-8")


def test_md_code_cannot_be_closed_early() -> None:
    assert md_code("main") == "`main`"
    assert md_code("a`b") == "``a`b``"
    assert md_code("``x") == "``` ``x ```"
    assert md_code("a|b", cell=True) == "`a\\|b`"
    assert md_code("a\nb\x1b") == "`a b\\x1b`"
    assert md_code("") == "` `"


def test_md_quote_keeps_lines_and_escapes_each() -> None:
    assert md_quote("one\n# two\n\n```") == "> one\n> \\# two\n>\n> \\`\\`\\`"
