"""Plain words for what the studio counts: label summaries and kinds of change.

The author is not a programmer: "33✓ a2 b1" or "1 fields" says nothing to them. Each
summary has a long form and shorter ones; a narrow column gets the longest that fits.
"""

from __future__ import annotations

from collections.abc import Mapping

from constitution_studio.core.wording import plural

__all__ = ["label_forms", "plural"]


def label_forms(counts: Mapping[str, int]) -> list[str]:
    """The label counts in words, longest first, e.g. "2 violate · 33 comply · 1 prefers B"."""
    v, c, a, b = (counts.get(k, 0) for k in ("violates", "complies", "a", "b"))
    singles = v + c
    long_single = [x for x in (v and plural(v, "violates", "violate"), c and plural(c, "complies", "comply")) if x]
    short_single = [f"{v}/{singles} violate" if v and c else long_single[0]] if singles else []
    long_pair = [x for x in (a and plural(a, "prefers A", "prefer A"), b and plural(b, "prefers B", "prefer B")) if x]
    short_pair = [x for x in (a and f"{a} A", b and f"{b} B") if x]
    forms = [
        " · ".join(long_single + long_pair),
        " · ".join(short_single + long_pair),
        " · ".join(short_single + short_pair),
        " ".join(short_single + short_pair),
    ]
    out: list[str] = []
    for form in forms:
        if form and form not in out:
            out.append(form)
    return out


def fit_words(forms: list[str], width: int) -> str:
    """The longest form that fits `width` (the shortest, cut with …, when none does)."""
    for form in forms:
        if len(form) <= width:
            return form
    if not forms:
        return ""
    last = forms[-1]
    return last[: max(width - 1, 0)] + "…" if width > 0 else ""


CHANGE_WORDS = {
    "added": ("added", "added"),
    "removed": ("removed", "removed"),
    "reworded": ("reworded", "reworded"),
    "reworded_locale": ("translation reworded", "translations reworded"),
    "fields": ("field changed", "fields changed"),
    "moved": ("moved", "moved"),
    "links": ("case link changed", "case links changed"),
}


def change_count(kind: str, n: int) -> str:
    """'1 field changed', '3 reworded': how many principles had this kind of change."""
    one, many = CHANGE_WORDS.get(kind, (kind, kind))
    return plural(n, one, many)


def change_kind(kind: str) -> str:
    """One kind of change in words ("fields" -> "fields changed")."""
    one, many = CHANGE_WORDS.get(kind, (kind, kind))
    return many if kind in ("fields", "links") else one


def label_word(label: str) -> str:
    """A label as shown: core's one wording (core/wording.py), a pair's "a"/"b" reads "A preferred"/"B preferred"."""
    from constitution_studio.core.wording import label_word as core_label_word

    return core_label_word(label)


def wording_text(text: str | None) -> str:
    """File or critic text shown over lines (a statement, a prompt): core's sanitiser, newlines kept."""
    from constitution_studio.core.sanitize import sanitize

    return sanitize(text or "", keep_newlines=True)
