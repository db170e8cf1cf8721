"""Write an eval case in place: a form for a new case or an existing one, validated as you type.

The form holds plain text; `draft()` turns it into a core `CaseDraft`, `validate_case` gives
the problems `cstudio validate` would report (shown next to each field), and ctrl+s writes
through core/case_authoring.py (round-trip, comments kept, atomic, under the lock). The
screen dismisses with the relpath it wrote, or None.

A multi-turn prompt is written as turns, one per paragraph starting with its role (`system:`,
`developer:`, `user:`, `assistant:`, `tool:`); text without such a prefix is a single user
turn. Tool keys (`tool_calls`, `call_id`, `name`) are edited in the file; the form keeps them
on the turns it leaves in place.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Header, Input, Label, Select, Static, TextArea

from constitution_studio.core.case_authoring import (
    CaseDraft,
    add_case,
    check_case_file,
    draft_of,
    file_for,
    next_case_id,
    update_case,
    validate_case,
)
from constitution_studio.core.models import EvalCase
from constitution_studio.core.workspace import Workspace
from constitution_studio.errors import StudioError
from constitution_studio.tui.widgets.footer import StudioFooter
from constitution_studio.tui.words import plural

TURN = re.compile(r"^(system|developer|user|assistant|tool):\s?", re.MULTILINE)
GOLD_CHOICES = {"single": ("violates", "complies"), "pair": ("a", "b")}
NO_GOLD = "none"


def parse_turns(text: str) -> tuple[tuple[str, str], ...]:
    """`user: …` / `assistant: …` paragraphs to turns; plain text is one user turn."""
    marks = list(TURN.finditer(text))
    if not marks or marks[0].start() != 0:
        return (("user", text.strip()),)
    turns = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        turns.append((mark.group(1), text[mark.end() : end].strip()))
    return tuple(turns)


def format_turns(turns: tuple[tuple[str, str], ...]) -> str:
    if len(turns) == 1 and turns[0][0] == "user":
        return turns[0][1]
    return "\n\n".join(f"{role}: {text}" for role, text in turns)


class CaseForm(Screen[str | None]):
    """A new case (`case` None, linked to `principle_id`) or an edit of `case` in `relpath`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save case", id="case_form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="case_form.cancel"),
    ]

    def __init__(self, root: Path, ws: Workspace, principle_id: str, case: EvalCase | None = None) -> None:
        super().__init__(id="case-form")
        self.root = root
        self.ws = ws
        self.case = case
        self.original = draft_of(case) if case is not None else None
        self.relpath = ws.case_paths.get(case.id) if case is not None else None
        default_file = file_for(ws, principle_id) or f"eval_cases/{principle_id.split('-')[0].lower()}.yaml"
        self.start = self.original or CaseDraft(id=next_case_id(ws, principle_id), principles=(principle_id,))
        self.default_file = self.relpath or default_file

    def compose(self) -> ComposeResult:
        d = self.start
        yield Header()
        with VerticalScroll(id="case-form-body"):
            yield Static("", id="cf-heading")
            yield from self._row(
                "file", "File", Input(self.default_file, id="cf-file", compact=True, disabled=self.case is not None)
            )
            yield from self._row("id", "ID", Input(d.id, id="cf-id", compact=True))
            yield from self._row(
                "principles", "Principles", Input(", ".join(d.principles), id="cf-principles", compact=True)
            )
            kind = Select(
                [("single response", "single"), ("pair a/b", "pair")], value=d.kind, allow_blank=False, compact=True
            )
            kind.id = "cf-kind"
            yield from self._row("kind", "Kind", kind)
            yield Label("Prompt (for several turns: paragraphs starting user: / assistant:)", classes="cf-label")
            yield TextArea(format_turns(d.turns), id="cf-turns", soft_wrap=True, tab_behavior="focus")
            yield Label("", id="cf-e-turns", classes="field-error")
            for name, title, text in (
                ("response", "Response", d.response),
                ("a", "Response a", d.a),
                ("b", "Response b", d.b),
            ):
                yield Label(title, classes=f"cf-label cf-{name}")
                yield TextArea(text, id=f"cf-{name}", soft_wrap=True, tab_behavior="focus", classes=f"cf-{name}")
                yield Label("", id=f"cf-e-{name}", classes="field-error")
            gold = Select(self._gold_options(d.kind), value=self._gold_value(d), allow_blank=False, compact=True)
            gold.id = "cf-gold"
            yield from self._row("gold", "Gold", gold)
            yield Checkbox(
                "benign (a harmless request that must not be refused)", d.benign, id="cf-benign", compact=True
            )
            yield from self._row("note", "Note", Input(d.note, id="cf-note", compact=True))
        yield StudioFooter()

    def _row(self, name: str, title: str, widget: Input | Select[str]) -> ComposeResult:
        with Horizontal(classes="cf-row"):
            yield Label(title, classes="field-label")
            yield widget
        yield Label("", id=f"cf-e-{name}", classes="field-error")

    @staticmethod
    def _gold_options(kind: str) -> list[tuple[str, str]]:
        return [("no gold label", NO_GOLD), *((g, g) for g in GOLD_CHOICES[kind])]

    @staticmethod
    def _gold_value(d: CaseDraft) -> str:
        return d.gold if isinstance(d.gold, str) and d.gold in GOLD_CHOICES[d.kind] else NO_GOLD

    def on_mount(self) -> None:
        self.sub_title = f"edit case {self.case.id}" if self.case is not None else "new case"
        self._show_kind()
        self._validate()
        self.query_one("#cf-turns" if self.case is None else "#cf-id").focus()

    # --- reading the form ------------------------------------------------------------

    def draft(self) -> CaseDraft:
        kind: Literal["single", "pair"] = "pair" if self.query_one("#cf-kind", Select).value == "pair" else "single"
        gold_value = self.query_one("#cf-gold", Select).value
        gold: str | dict[str, str] | None = (
            gold_value if isinstance(gold_value, str) and gold_value != NO_GOLD else None
        )
        if gold is None and self.original is not None and isinstance(self.original.gold, dict):
            gold = self.original.gold  # per-principle gold is kept as it was (edit it in the file)
        links = tuple(p.strip() for p in self.query_one("#cf-principles", Input).value.split(",") if p.strip())
        return CaseDraft(
            id=self.query_one("#cf-id", Input).value.strip(),
            principles=links,
            turns=parse_turns(self.query_one("#cf-turns", TextArea).text),
            loaded_turns=self.original.loaded_turns if self.original is not None else (),
            kind=kind,
            response=self.query_one("#cf-response", TextArea).text if kind == "single" else "",
            a=self.query_one("#cf-a", TextArea).text if kind == "pair" else "",
            b=self.query_one("#cf-b", TextArea).text if kind == "pair" else "",
            gold=gold,
            benign=self.query_one("#cf-benign", Checkbox).value,
            note=self.query_one("#cf-note", Input).value,
            tags=self.original.tags if self.original is not None else (),
        )

    def problems(self) -> dict[str, tuple[str, str]]:
        problems = validate_case(self.draft(), self.ws, self.case.id if self.case is not None else None)
        if self.case is None:
            try:
                check_case_file(self.query_one("#cf-file", Input).value)
            except StudioError as exc:
                problems["file"] = ("schema", exc.message)
        return problems

    # --- reacting --------------------------------------------------------------------

    def _show_kind(self) -> None:
        pair = self.query_one("#cf-kind", Select).value == "pair"
        for widget in self.query(".cf-response"):
            widget.display = not pair
        for widget in self.query(".cf-a, .cf-b"):
            widget.display = pair

    @on(Select.Changed, "#cf-kind")
    def _kind_changed(self) -> None:
        kind = str(self.query_one("#cf-kind", Select).value)
        gold = self.query_one("#cf-gold", Select)
        current = gold.value
        gold.set_options(self._gold_options(kind))
        gold.value = current if current in GOLD_CHOICES[kind] else NO_GOLD
        self._show_kind()
        self._validate()

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed, "#cf-gold")
    def _changed(self) -> None:
        self._validate()

    def _validate(self) -> dict[str, tuple[str, str]]:
        problems = self.problems()
        for name in ("file", "id", "principles", "kind", "turns", "response", "a", "b", "gold", "note"):
            code, message = problems.get(name, ("", ""))
            label = self.query_one(f"#cf-e-{name}", Label)
            label.update(f"{message} ({code})" if message else "")
            label.display = bool(message)  # an empty problem line takes no room
        where = self.relpath or self.query_one("#cf-file", Input).value
        count = len(problems)
        state = "ready to save (ctrl+s)" if not count else f"{plural(count, 'problem')} to fix"
        self.query_one("#cf-heading", Static).update(f"{self.sub_title} · {where} · {state}")
        return problems

    # --- actions ---------------------------------------------------------------------

    def action_save(self) -> None:
        problems = self._validate()
        if problems:
            self.notify(f"Not saved: {plural(len(problems), 'problem')}, shown next to the fields", severity="error")
            return
        draft = self.draft()
        try:
            if self.case is None:
                relpath = add_case(self.root, self.query_one("#cf-file", Input).value, draft)
            else:
                relpath = update_case(self.root, self.relpath or "", self.case.id, draft)
        except (StudioError, OSError) as exc:
            message = exc.one_line() if isinstance(exc, StudioError) else str(exc)
            self.notify(f"Not saved: {message}", severity="error")
            return
        self.dismiss(relpath)

    def action_cancel(self) -> None:
        self.dismiss(None)
