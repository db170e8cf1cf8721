"""The principle editor: statement in a soft-wrapping TextArea, other fields in compact inputs.

Each field has its problem shown next to it as the author types and a dirty marker on its
label; the widget only displays and reports (`FieldEdited`), the screen owns the state.

A field whose text holds control or bidi characters (an ESC sequence written into a file) is
shown escaped by core's sanitiser and locked: editing the escaped text would rewrite the
file's content, and showing it raw would let the file drive the terminal. Its draft keeps
the exact text; the note next to it says to edit the file.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static, TextArea

from constitution_studio.core.models import Status
from constitution_studio.core.sanitize import sanitize
from constitution_studio.tui.drafts import FIELDS
from constitution_studio.tui.messages import FieldEdited
from constitution_studio.tui.widgets.quiet import FieldInput, StatementArea

LABELS = {
    "id": "ID",
    "title": "Title",
    "status": "Status",
    "owner": "Owner",
    "tags": "Tags",
    "critique": "Critique",
    "revision": "Revision",
    "statement": "Statement",
}
LINE_FIELDS = tuple(f for f in FIELDS if f not in ("statement", "status"))
LOCKED_NOTE = "read-only: holds control characters (shown escaped); edit the file"


def shown_value(name: str, value: str) -> str:
    """What a field shows: the text itself, or escaped when it holds control/bidi characters."""
    return sanitize(value, keep_newlines=name == "statement")


class PrincipleEditor(Vertical):
    """Shows one principle's edited values; posts FieldEdited for every change the author makes."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.principle_id: str | None = None
        self._shown: dict[str, str] = {}  # widget id -> text it shows, to skip updates that change nothing
        self._locked: dict[str, str] = {}  # field -> the exact text of a field shown escaped, read-only

    def compose(self) -> ComposeResult:
        yield Static("", id="editor-heading")
        with VerticalScroll(id="fields"):  # scrolls to the focused field when the terminal is short
            for name in ("id", "title", "status", "owner", "tags", "critique", "revision"):
                with Horizontal(classes="field-row"):
                    yield Label(LABELS[name], id=f"l-{name}", classes="field-label")
                    if name == "status":
                        yield Select(
                            [(s.value, s.value) for s in Status],
                            allow_blank=False,
                            compact=True,
                            id="f-status",
                        )
                    else:
                        yield FieldInput(compact=True, id=f"f-{name}", select_on_focus=False)
                    yield Label("", id=f"e-{name}", classes="field-error")
        with Horizontal(id="statement-bar"):
            yield Label(LABELS["statement"], id="l-statement", classes="field-label")
            yield Label("", id="e-statement", classes="field-error")
        yield StatementArea(id="f-statement", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")

    # --- showing ---------------------------------------------------------------------

    def show(
        self,
        principle_id: str,
        values: dict[str, str],
        dirty: list[str],
        problems: dict[str, str],
        force: bool = False,
    ) -> None:
        """Load a principle's edited values without reporting them as edits.

        The field being typed in is left alone when it shows the same principle: its text is
        ahead of the draft while keystroke messages are queued, and writing the draft's value
        back would drop those keys. Other fields show their start (not the tail of long text).
        `force` (revert, reload) writes every field.
        """
        same = principle_id == self.principle_id and not force
        self.principle_id = principle_id
        for widget in (self.query_one("#fields"), self.query_one("#f-statement")):
            widget.disabled = False
        focused = self.app.focused
        self._locked = {}
        with self.prevent(Input.Changed, Select.Changed, TextArea.Changed):
            for name in LINE_FIELDS:
                box = self.query_one(f"#f-{name}", Input)
                shown = shown_value(name, values[name])
                if shown != values[name]:
                    self._locked[name] = values[name]
                box.disabled = name in self._locked
                if same and box is focused:
                    continue
                if box.value != shown:
                    box.value = shown
                    box.cursor_position = 0
                    box.scroll_to(x=0, animate=False)
            select = self.query_one("#f-status", Select)
            if select.value != values["status"]:
                select.value = values["status"]
            area = self.query_one("#f-statement", TextArea)
            shown = shown_value("statement", values["statement"])
            if shown != values["statement"]:
                self._locked["statement"] = values["statement"]
            area.read_only = "statement" in self._locked
            if area.text != shown and not (same and area is focused):
                area.load_text(shown)
        self.mark(dirty, problems)

    def blank(self, message: str) -> None:
        """Show no principle (nothing matches the filter): empty, disabled fields and a reason."""
        self.principle_id = None
        self._locked = {}
        with self.prevent(Input.Changed, Select.Changed, TextArea.Changed):
            for name in LINE_FIELDS:
                self.query_one(f"#f-{name}", Input).value = ""
            self.query_one("#f-statement", TextArea).load_text("")
        self.mark([], {})
        self._shown["heading"] = message
        self.query_one("#editor-heading", Static).update(message, layout=False)
        for widget in (self.query_one("#fields"), self.query_one("#f-statement")):
            widget.disabled = True

    def mark(self, dirty: list[str], problems: dict[str, str]) -> None:
        """Dirty markers on labels and problems next to fields.

        Only what changed is updated: a label update lays out the whole screen, which is most of
        the cost of moving to another principle. A locked field's note follows its problem.
        """
        for name in FIELDS:
            label_text = ("● " if name in dirty else "") + LABELS[name]
            if self._shown.get(f"l-{name}") != label_text:
                self._shown[f"l-{name}"] = label_text
                label = self.query_one(f"#l-{name}", Label)
                label.update(label_text, layout=False)  # fixed width in app.tcss
                label.set_class(name in dirty, "dirty")
            problem = problems.get(name, "")
            if name in self._locked:
                problem = f"{problem} · {LOCKED_NOTE}" if problem else LOCKED_NOTE
            if self._shown.get(f"e-{name}") != problem:
                self._shown[f"e-{name}"] = problem
                self.query_one(f"#e-{name}", Label).update(Text(sanitize(problem)))  # width: auto, so this one lays out
                self.query_one(f"#f-{name}").set_class(name in problems, "invalid")
        heading = sanitize(self.principle_id or "")
        if dirty:
            heading += f"  ● unsaved: {', '.join(dirty)}  (ctrl+s save, ctrl+r revert)"
        if self._shown.get("heading") != heading:
            self._shown["heading"] = heading
            self.query_one("#editor-heading", Static).update(heading, layout=False)  # height 1

    # --- reporting -------------------------------------------------------------------

    def _report(self, name: str, value: str) -> None:
        if self.principle_id is None or name in self._locked:
            return
        self.post_message(FieldEdited(self.principle_id, name, value))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id and event.input.id.startswith("f-"):
            self._report(event.input.id[2:], event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self._report("status", event.value)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._report("statement", event.text_area.text)

    def current_values(self) -> dict[str, str]:
        """What the fields show right now; their FieldEdited messages may still be queued."""
        values = {name: self.query_one(f"#f-{name}", Input).value for name in LINE_FIELDS}
        status = self.query_one("#f-status", Select).value
        if isinstance(status, str):
            values["status"] = status
        values["statement"] = self.query_one("#f-statement", TextArea).text
        values.update(self._locked)  # shown escaped; the draft keeps the exact text
        return values

    def focus_field(self, name: str) -> None:
        self.query_one(f"#f-{name}").focus()
