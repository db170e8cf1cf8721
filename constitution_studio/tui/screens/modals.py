"""Small modal questions: quit with unsaved edits, a file changed on disk, an error.

Titles and bodies name files, IDs and error lines from the files: shown through core's
sanitiser, as plain text (never markup).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from constitution_studio.core.sanitize import sanitize


def plain(text: str) -> Text:
    """Text from the files shown as it is stored: control characters escaped, no markup."""
    return Text(sanitize(text, keep_newlines=True))


class Choice(ModalScreen[str]):
    """A question with buttons; dismisses with the chosen button's id (escape: 'cancel')."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "choose('cancel')", "Cancel", id="modal.cancel")]

    def __init__(self, title: str, body: str, choices: list[tuple[str, str]], modal_id: str) -> None:
        super().__init__(id=modal_id, classes="choice")
        self.title_text = title
        self.body = body
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.body), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                for i, (choice_id, text) in enumerate(self.choices):
                    yield Button(text, id=choice_id, variant="primary" if i == 0 else "default")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


def confirm_quit(dirty: list[str]) -> Choice:
    body = "Unsaved edits: " + ", ".join(dirty) + ".\nSave them before quitting?"
    return Choice(
        "Quit with unsaved edits?",
        body,
        [("save", "Save and quit"), ("discard", "Quit without saving"), ("cancel", "Keep editing")],
        "confirm-quit",
    )


def disk_changed(paths: list[str]) -> Choice:
    body = (
        "Changed on disk since the studio loaded it: " + ", ".join(paths) + ".\n"
        "Reload takes the disk version (your edits to those files are dropped); "
        "Keep keeps your edits on top of the disk version."
    )
    return Choice(
        "File changed on disk",
        body,
        [("reload", "Reload from disk"), ("keep", "Keep my edits"), ("cancel", "Cancel")],
        "disk-changed",
    )


class ErrorModal(ModalScreen[None]):
    """A failure the author should read (a critic that could not load, a save that failed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="error.close"),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__(id="error-modal", classes="choice")
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.message), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="error")

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
