"""One eval case in full: the whole conversation, the response(s), gold, the current labels, and its revisions.

The revisions (what `cstudio revise` recorded for the case, core/export/revision_record.py)
are read in a thread when the screen opens, from the studio's root; tui/revisions_view.py
draws them.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Header, Static

from constitution_studio.core.conversation import tool_names, turn_body, turn_heading
from constitution_studio.core.export.revision_record import CaseRevisions, revisions_for_case
from constitution_studio.core.models import EvalCase
from constitution_studio.core.sanitize import sanitize
from constitution_studio.tui.revisions_view import render_revisions
from constitution_studio.tui.services import services
from constitution_studio.tui.state import Label, Studio
from constitution_studio.tui.widgets.cases_panel import gold_words, kind_of, label_text
from constitution_studio.tui.widgets.footer import StudioFooter
from constitution_studio.tui.workers import NO_REPR

ROLE_STYLES = {"system": "yellow", "developer": "yellow", "tool": "bright_black"}  # else blue


def render_case(
    case: EvalCase,
    saved: Label | None,
    edited: Label | None,
    principle_id: str | None = None,
    unsaved: bool = False,
) -> RenderableType:
    """The case in full. The critic's line names the principle it judged against (`principle_id`,
    the one whose linked cases it was opened from) and shows the edited wording's label only
    when that wording is `unsaved`."""
    head = Text.assemble(
        (sanitize(case.id), "bold"),
        f"  ·  {case.kind}  ·  linked to {', '.join(map(sanitize, case.principles))}",
        "  ·  benign" if case.benign else "",
    )
    whose = "for the case as a whole" if isinstance(case.gold, str) else "per principle"
    gold = Text.assemble(
        "Gold (the human verdict): ", (gold_words(case.gold) or "none", "bold"), f"  ({whose})" if case.gold else ""
    )
    kind = kind_of(case)
    against = f" on {sanitize(principle_id)}" if principle_id else ""
    labels = Text.assemble(
        f"Critic{against}, saved wording: " if unsaved else f"Critic{against}: ", label_text(saved, kind)
    )
    if unsaved:
        labels.append_text(Text.assemble("   edited wording: ", label_text(edited, kind)))
    parts: list[RenderableType] = [head, gold, labels]
    for turn, tool in zip(case.turns, tool_names(case.turns), strict=True):
        parts.append(
            Panel(
                Text(sanitize(turn_body(turn), keep_newlines=True)),
                title=Text(sanitize(turn_heading(turn, tool))),
                title_align="left",
                border_style=ROLE_STYLES.get(turn.role, "blue"),
            )
        )
    if case.response is not None:
        parts.append(
            Panel(
                Text(sanitize(case.response, keep_newlines=True)),
                title="assistant (judged)",
                title_align="left",
                border_style="green",
            )
        )
    else:
        parts.append(
            Panel(
                Text(sanitize(case.a or "", keep_newlines=True)),
                title="response a",
                title_align="left",
                border_style="cyan",
            )
        )
        parts.append(
            Panel(
                Text(sanitize(case.b or "", keep_newlines=True)),
                title="response b",
                title_align="left",
                border_style="magenta",
            )
        )
    if case.tags:
        parts.append(Text(f"tags: {', '.join(map(sanitize, case.tags))}", style="dim"))
    if case.note:
        parts.append(Text(f"note: {sanitize(case.note, keep_newlines=True)}", style="dim italic"))
    return Group(*parts)


class CaseScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="case.back"),
    ]

    def __init__(
        self,
        case: EvalCase,
        saved: Label | None,
        edited: Label | None,
        *,
        principle_id: str | None = None,
        unsaved: bool = False,
    ) -> None:
        super().__init__(id="case-screen")
        self.case = case
        self.revisions: CaseRevisions | None = None  # None until read
        self.body = render_case(case, saved, edited, principle_id, unsaved)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="case-body"):
            yield Static(self.body)
            yield Static(render_revisions(None, self.case.kind), id="case-revisions")
        yield StudioFooter()

    def on_mount(self) -> None:
        self.sub_title = f"case {sanitize(self.case.id)}"
        self.query_one("#case-body").focus()
        self._read_revisions(services(self).studio)

    @work(thread=True, exclusive=True, group="case-revisions", description=NO_REPR)
    def _read_revisions(self, studio: Studio) -> None:
        found = revisions_for_case(studio.root, self.case.id, studio.ws)
        self.app.call_from_thread(self.show_revisions, found)

    def show_revisions(self, found: CaseRevisions) -> None:
        self.revisions = found
        try:
            section = self.query_one("#case-revisions", Static)
        except NoMatches:  # the screen was closed while the record was read
            return
        section.update(render_revisions(found, self.case.kind))
