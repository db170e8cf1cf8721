"""Versions: pick a git ref, see the structural diff against the work tree; and a principle's history.

Git work (listing refs, loading a version, walking the log) runs in thread workers so a big
history never freezes the screen; failures (not a git repo, a bad ref) show as one line.
Everything from git or the files (subjects, authors, titles, wording) goes through core's
sanitiser: a commit subject may carry an ESC sequence.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, OptionList, Static
from textual.widgets.option_list import Option

from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.source import WORKTREE
from constitution_studio.errors import StudioError
from constitution_studio.tui.state import Studio
from constitution_studio.tui.widgets.footer import StudioFooter
from constitution_studio.tui.words import change_count, change_kind, plural
from constitution_studio.tui.workers import NO_REPR

DELETED = ("[-", "-]")  # git's word-diff markers: readable without colour (NO_COLOR, a monochrome
INSERTED = ("{+", "+}")  # terminal, a screen reader, a copy-paste), and two changes never run together


def word_diff_text(ops: list[Any], side: str = "both") -> Text:
    """Word-level changes, marked in words and in colour: `[-removed-]` red and struck,
    `{+added+}` green and underlined; `side` picks old/new/both.

    Each mark wraps the words alone (their whitespace stays outside), so "ability" replaced by
    "any" reads `[-ability-]{+any+}`, never "abilityany". A change of whitespace alone is shown
    as the side's own whitespace, unmarked.
    """
    text = Text()
    for op in ops:
        shown = sanitize(op.text, keep_newlines=True)
        if op.op == "equal":
            text.append(shown)
            continue
        keep = (op.op == "delete" and side in ("old", "both")) or (op.op == "insert" and side in ("new", "both"))
        if not keep:
            continue
        if not shown.strip():  # whitespace alone: the side's own (the new one when both are shown)
            if op.op == "insert" or side == "old":
                text.append(shown)
            continue
        core = shown.strip()
        lead, tail = shown[: len(shown) - len(shown.lstrip())], shown[len(shown.rstrip()) :]
        start, end = DELETED if op.op == "delete" else INSERTED
        style = ("bold red" if op.op == "delete" else "bold green") + (
            (" strike" if op.op == "delete" else " underline") if side == "both" else ""
        )
        text.append(lead)
        text.append(f"{start}{core}{end}", style=style)
        text.append(tail)
    return text


def field_text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(sanitize(str(v)) for v in value) or "(none)"
    if hasattr(value, "value"):
        return sanitize(str(value.value))
    return "(none)" if value in (None, "") else sanitize(str(value))


def change_detail(change: Any, old: Any = None, new: Any = None) -> RenderableType:
    """One principle's change: kinds, rank move, reworded statement, each changed field old → new, links."""
    parts: list[RenderableType] = [Text.assemble((sanitize(change.id), "bold"), f"  {sanitize(change.title)}")]
    parts.append(Text("changes: " + ", ".join(change_kind(k) for k in change.changes), style="yellow"))
    if "moved" in change.changes:
        parts.append(Text(f"priority: rank {change.rank_base} → {change.rank_head}", style="cyan"))
    if change.words:
        parts.append(Text("statement ([-removed-] red, {+added+} green):", style="dim"))
        parts.append(word_diff_text(change.words))
    elif change.statement_head or change.statement_base:
        parts.append(Text(sanitize(change.statement_head or change.statement_base or "", keep_newlines=True)))
    for name in change.fields:
        before = field_text(getattr(old, name, None)) if old is not None else "?"
        after = field_text(getattr(new, name, None)) if new is not None else "?"
        parts.append(Text.assemble(f"{name}: ", (before, "red strike"), " → ", (after, "green")))
    if change.links_added:
        parts.append(Text("cases linked: " + ", ".join(map(sanitize, change.links_added)), style="green"))
    if change.links_removed:
        parts.append(Text("cases unlinked: " + ", ".join(map(sanitize, change.links_removed)), style="red"))
    return Group(*parts)


DIFF_COLUMNS = (("id", "ID"), ("changes", "Changes"), ("rank", "Rank"), ("title", "Title"))


def refs_width(terminal: int) -> int:
    """The ref labels' width: #refs-pane is 30% of the terminal, 22 to 42 columns (app.tcss), less its
    border and a margin; known before the list is laid out, so the labels never wrap."""
    return min(max(terminal * 3 // 10, 22), 42) - 5  # border 2, option padding 2, a scrollbar 1


class VersionsScreen(Screen[None]):
    """Compare the work tree with a ref: one row per changed principle, details on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="versions.back"),
        Binding("ctrl+l", "history", "History of principle", id="versions.history"),
    ]

    unsaved = 0
    _sides: tuple[dict[str, Any], dict[str, Any]] = ({}, {})  # base and head principles of the last diff

    def __init__(self, studio: Studio, principle_id: str | None) -> None:
        super().__init__(id="versions")
        self.studio = studio
        self.principle_id = principle_id
        self.diff: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="versions-body"):
            with Vertical(id="refs-pane"):
                yield Static("Compare with:", classes="pane-title")
                yield OptionList(id="refs")
            with Vertical(id="diff-pane"):
                yield Static("", id="diff-summary")
                yield DataTable(id="diff-table", cursor_type="row")
                with VerticalScroll(id="diff-detail-scroll"):
                    yield Static("", id="diff-detail")
        yield StudioFooter()

    def on_mount(self) -> None:
        self.sub_title = "versions"
        table = self.query_one("#diff-table", DataTable)
        for key, label in DIFF_COLUMNS:
            table.add_column(label, key=key)
        self.query_one("#diff-summary", Static).update("loading refs…")
        self.load_refs()
        self.compare("HEAD")

    @work(thread=True, exclusive=True, group="refs", exit_on_error=False)
    def load_refs(self) -> None:
        from constitution_studio.core.versions import list_refs

        try:
            refs = list_refs(self.studio.root)
        except StudioError as exc:
            self.app.call_from_thread(self._refs_failed, exc.one_line())
            return
        self.app.call_from_thread(self._show_refs, refs)

    def _refs_failed(self, message: str) -> None:
        self.query_one("#diff-summary", Static).update(Text(sanitize(message), style="red"))

    def _show_refs(self, refs: list[Any]) -> None:
        options = self.query_one("#refs", OptionList)
        options.clear_options()
        width = refs_width(self.app.size.width)
        shown: set[str] = set()
        for ref in refs:
            if ref.name == WORKTREE or ref.name in shown or (ref.kind == "commit" and ref.sha in shown):
                continue  # a commit that a branch or tag above already names is listed once
            shown.update(x for x in (ref.name, ref.sha) if x)
            label = Text.assemble(
                (sanitize(ref.name), "bold"), f"  {ref.kind}", (f"  {sanitize(ref.subject)[:40]}", "dim")
            )
            label.truncate(width, overflow="ellipsis")  # one line per ref, cut to the pane
            options.add_option(Option(label, id=ref.name))
        if options.option_count:
            options.highlighted = 0  # the current branch (HEAD, compared on opening): a cursor from the start
        options.focus()

    @on(OptionList.OptionSelected, "#refs")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.compare(event.option.id)

    def compare(self, ref: str) -> None:
        self.query_one("#diff-summary", Static).update(Text(f"comparing {sanitize(ref)} → work tree…"))
        principles, order = self.studio.unsaved_version()  # snapshot here, in the UI thread
        self.unsaved = len(principles) + (order is not None)
        self._diff_worker(ref, principles, order)

    @work(thread=True, exclusive=True, group="diff", exit_on_error=False, description=NO_REPR)
    def _diff_worker(self, ref: str, unsaved: dict[str, Any], order: list[str] | None) -> None:
        from constitution_studio.core.diff import structural_diff
        from constitution_studio.core.versions import load_versions

        try:
            base, head, base_sha, _ = load_versions(self.studio.root, ref, WORKTREE)
        except StudioError as exc:
            self.app.call_from_thread(self._refs_failed, exc.one_line())
            return
        head = dataclasses.replace(head, principles={**head.principles, **unsaved})  # never alias `base`
        if order is not None and head.constitution is not None:
            head.constitution = head.constitution.model_copy(update={"priority": order})
        diff = structural_diff(base, head, base_commit=base_sha)
        self.app.call_from_thread(self._show_diff, diff, base.principles, head.principles)

    def _show_diff(self, diff: Any, old: dict[str, Any] | None = None, new: dict[str, Any] | None = None) -> None:
        self.diff = diff
        self._sides = (old or {}, new or {})
        table = self.query_one("#diff-table", DataTable)
        rows: list[tuple[str, list[Text]]] = []
        for change in diff.principles:
            rank = ""
            if change.rank_base != change.rank_head:
                rank = f"{change.rank_base or '–'} → {change.rank_head or '–'}"
            else:
                rank = str(change.rank_head or "")
            kinds = ", ".join(change_kind(k) for k in change.changes)
            rows.append((change.id, [Text(sanitize(change.id)), Text(kinds), Text(rank), Text(sanitize(change.title))]))
        # The columns sized here, from their cells: left to the table, the header kept the empty
        # table's widths until some later repaint (a loaded machine showed it misaligned).
        table.clear(columns=True)
        for i, (key, label) in enumerate(DIFF_COLUMNS):
            width = max([len(label), *(row[i].cell_len for _, row in rows)])
            table.add_column(label, key=key, width=width)
        for key, cells in rows:
            table.add_row(*cells, key=key)
        s = diff.summary
        counts = ", ".join(change_count(k, n) for k, n in s.principles.items() if n) or "no principle changes"
        head = f"{sanitize(str(diff.base))} → work tree: {counts}"
        if self.unsaved:
            head += f" (including {plural(self.unsaved, 'unsaved edit')})"
        if diff.priority_changed:
            head += " · priority order changed"
        if s.cases_changed:
            head += f" · {plural(s.cases_changed, 'case')} changed"
        self.query_one("#diff-summary", Static).update(Text(head))
        if diff.principles:
            target = str(self.principle_id) if self.principle_id in table.rows else str(diff.principles[0].id)
            table.move_cursor(row=table.get_row_index(target))
            self._detail(target)
        else:
            self.query_one("#diff-detail", Static).update("")

    @on(DataTable.RowHighlighted, "#diff-table")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._detail(str(event.row_key.value))

    def _detail(self, pid: str) -> None:
        change = self.diff.principle(pid) if self.diff is not None else None
        if change is not None:
            self.principle_id = pid
            old, new = self._sides
            self.query_one("#diff-detail", Static).update(change_detail(change, old.get(pid), new.get(pid)))

    def action_history(self) -> None:
        if self.principle_id and self.principle_id in self.studio.ws.principles:
            self.app.push_screen(HistoryScreen(self.studio, self.principle_id))


class HistoryScreen(Screen[None]):
    """The commits that changed one principle; a past version side by side with today's wording."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="history.back"),
    ]

    def __init__(self, studio: Studio, principle_id: str) -> None:
        super().__init__(id="history")
        self.studio = studio
        self.principle_id = principle_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="history-summary")
        yield DataTable(id="log", cursor_type="row")
        with Horizontal(id="side-by-side"):
            with VerticalScroll(classes="side"):
                yield Static("", id="past")
            with VerticalScroll(classes="side"):
                yield Static("", id="today")
        yield StudioFooter()

    def on_mount(self) -> None:
        self.sub_title = f"history of {sanitize(self.principle_id)}"
        table = self.query_one("#log", DataTable)
        for key, label in (
            ("commit", "Commit"),
            ("date", "Date"),
            ("author", "Author"),
            ("changes", "Changes"),
            ("subject", "Subject"),
        ):
            table.add_column(label, key=key)
        self.query_one("#history-summary", Static).update(
            Text(f"loading the history of {sanitize(self.principle_id)}…")
        )
        self.load_log()
        table.focus()

    @work(thread=True, exclusive=True, group="log", exit_on_error=False)
    def load_log(self) -> None:
        from constitution_studio.core.history import principle_log

        try:
            entries = principle_log(self.studio.root, self.principle_id)
        except StudioError as exc:
            self.app.call_from_thread(self._failed, exc.one_line())
            return
        self.app.call_from_thread(self._show_log, entries)

    def _failed(self, message: str) -> None:
        self.query_one("#history-summary", Static).update(Text(sanitize(message), style="red"))

    def _show_log(self, entries: list[Any]) -> None:
        table = self.query_one("#log", DataTable)
        table.clear()
        for e in entries:
            kinds = ", ".join(change_kind(k) for k in e.changes)
            author, subject = Text(sanitize(e.author)), Text(sanitize(e.subject))
            table.add_row(sanitize(e.short), sanitize(e.date[:10]), author, kinds, subject, key=e.hash)
        n = len(entries)
        self.query_one("#history-summary", Static).update(
            Text(
                f"{sanitize(self.principle_id)}: {plural(n, 'commit')} changed it, newest first"
                " — enter/highlight shows that version"
            )
        )
        if entries:
            self.show_version(entries[0].hash)

    @on(DataTable.RowHighlighted, "#log")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.show_version(str(event.row_key.value))

    def show_version(self, sha: str) -> None:
        self._version_worker(sha)

    @work(thread=True, exclusive=True, group="version", exit_on_error=False)
    def _version_worker(self, sha: str) -> None:
        from constitution_studio.core.versions import read_principle_at

        try:
            past = read_principle_at(self.studio.root, sha, self.principle_id)
        except StudioError as exc:
            self.app.call_from_thread(self._failed, exc.one_line())
            return
        self.app.call_from_thread(self._side_by_side, sha, past.statement if past is not None else None)

    def _side_by_side(self, sha: str, past: str | None) -> None:
        from constitution_studio.core.worddiff import word_diff

        today = self.studio.edited(self.principle_id)["statement"]
        edited = self.studio.is_dirty(self.principle_id)
        today_title = Text("today" + (" (unsaved edit)" if edited else ""), style="bold")
        if past is None:
            self.query_one("#past", Static).update(
                Text(f"at {sha[:7]}: {sanitize(self.principle_id)} did not exist", style="dim")
            )
            self.query_one("#today", Static).update(Group(today_title, Text(sanitize(today, keep_newlines=True))))
            return
        ops = word_diff(past, today)
        self.query_one("#past", Static).update(Group(Text(f"at {sha[:7]}", style="bold"), word_diff_text(ops, "old")))
        self.query_one("#today", Static).update(Group(today_title, word_diff_text(ops, "new")))
