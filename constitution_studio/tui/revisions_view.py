"""The case detail's revisions section: what `cstudio revise` recorded for one case (core/export/revision_record.py).

The words are core's (core/export/revision_text.py, the same `cstudio revisions` prints): every
text there is sanitized and each generated text cut at SHOW_CHARS. Outcomes are words
("accepted", "not accepted", "never complied after N rounds"), so the section reads the same in
monochrome; colour only repeats them.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text

from constitution_studio.core.export.revision_record import CaseRevision, CaseRevisions
from constitution_studio.core.export.revision_text import (
    RESPONSE_CHANGED,
    cut_text,
    footer_texts,
    heading_text,
    identity_text,
    original_text,
    principle_text,
    recorded_text,
    round_judge,
    round_verdict,
    title_text,
)

HEADING = "Revisions (cstudio revise)"


def render_record(record: CaseRevision) -> RenderableType:
    row = record.row
    lines: list[RenderableType] = [Text(principle_text(record)), Text(original_text(record))]
    if record.response_current is False:
        lines.append(Text(RESPONSE_CHANGED, style="italic"))
    lines.append(Text(identity_text(row), style="dim"))
    lines.append(Text(recorded_text(record)))
    for r in row.rounds:
        lines.append(
            Text.assemble(
                "\n",
                (round_verdict(row, r), "bold green" if r.round == row.accepted_round else "bold"),
                f" · {round_judge(row, r)}",
            )
        )
        lines.append(Text("critique:", style="bold"))
        lines.append(Padding(Text(cut_text(r.critique)), (0, 0, 0, 2)))
        lines.append(Text("revision:", style="bold"))
        lines.append(Padding(Text(cut_text(r.revision)), (0, 0, 0, 2)))
    return Panel(
        Group(*lines),
        title=Text(title_text(record)),
        title_align="left",
        border_style="green" if row.accepted_round is not None else "red",
    )


def render_revisions(found: CaseRevisions | None, kind: str) -> RenderableType:
    """The whole section: the records newest first, or why there are none."""
    if found is None:
        return Text(f"{HEADING}: reading…", style="dim")
    style = "bold" if found.revisions and found.note is None else ""
    parts: list[RenderableType] = [Text(f"{HEADING}: {heading_text(found, kind)}", style=style)]
    parts.extend(render_record(r) for r in found.revisions)
    parts.extend(Text(line, style="dim") for line in footer_texts(found))
    return Group(*parts)
