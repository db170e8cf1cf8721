"""Messages widgets and workers post; past-tense facts, handled by @on handlers on the screen."""

from __future__ import annotations

from textual.message import Message

from constitution_studio.core.workspace import Workspace
from constitution_studio.tui.state import Label


class FieldEdited(Message):
    """The author changed one field of the principle in the editor."""

    def __init__(self, principle_id: str, name: str, value: str) -> None:
        super().__init__()
        self.principle_id = principle_id
        self.name = name
        self.value = value


class CaseScored(Message):
    """The critic labelled one case under one wording (posted from the critic worker)."""

    def __init__(self, principle_id: str, statement: str, case_id: str, label: Label, done: int, total: int) -> None:
        super().__init__()
        self.principle_id = principle_id
        self.statement = statement
        self.case_id = case_id
        self.label = label
        self.done = done
        self.total = total


class CriticProgressed(Message):
    """The critic finished a batch of a run (posted from the worker between results)."""

    def __init__(self, principle_id: str, done: int, total: int) -> None:
        super().__init__()
        self.principle_id = principle_id
        self.done = done
        self.total = total


class CriticFinished(Message):
    """A critic run ended (completed or cancelled)."""

    def __init__(self, principle_id: str, scored: int, cancelled: bool) -> None:
        super().__init__()
        self.principle_id = principle_id
        self.scored = scored
        self.cancelled = cancelled


class JumpRequested(Message):
    """Go to a principle (and optionally one of its cases), e.g. from the findings panel."""

    def __init__(self, principle_id: str | None, case_id: str | None = None) -> None:
        super().__init__()
        self.principle_id = principle_id
        self.case_id = case_id


class WorkspaceLoaded(Message):
    """A background revalidation finished; the screen refreshes findings and counts."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace


class CachedLabelsFound(Message):
    """Labels for one wording found in the critic's cache without running the model."""

    def __init__(self, principle_id: str, statement: str, labels: dict[str, Label]) -> None:
        super().__init__()
        self.principle_id = principle_id
        self.statement = statement
        self.labels = labels


class GpuProbed(Message):
    """Whether the critic would run on a GPU (decides auto-run on typing pauses)."""

    def __init__(self, available: bool) -> None:
        super().__init__()
        self.available = available
