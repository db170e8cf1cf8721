"""The studio's footer: the keys that fit the terminal's width, the screen keys and active toggles always.

Textual's footer lists the focused widget's keys first and the app's last, and cuts what does
not fit: at 80 columns (and at 160 on the main screen) F8/F9/F10 were never seen. This footer
measures each key as Textual draws it and, when they do not all fit, leaves out the least
needed ones from the end of the line first:

0. kept:   the app's screen keys (F1 help, F8 impact, F9 review, F10 trust) and every toggle
           whose state is not its default ("Flips only: on", "Sort: uncertainty");
1. next:   the keys that do the work of the screen in view (save, critic, back, run all,
           the review's verdicts and skip);
2. then:   the other toggles, showing their (default) state, and the palette key (ctrl+p);
3. first:  the others, which the help screen (F1) and the palette (ctrl+p) still list.

Below NARROW_WIDTH the keys are drawn compact (no padding around the key), which is what lets
"esc Back  r Run all  f Flips only: off" and F1/F9/F10 share 80 columns with the palette key.
The order on screen is Textual's; only which keys are drawn changes.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # the footer's own key widget (Textual 8)

KEPT = frozenset({"app.help", "app.impact", "app.review", "app.trust_history"})
NEXT = frozenset(
    {
        "studio.save",
        "studio.run_critic",
        "impact.back",
        "impact.run_all",
        "review.back",
        "review.violates",
        "review.complies",
        "review.a",
        "review.b",
        "review.skip",
        "review.run_all",
        "versions.back",
    }
)
NARROW_WIDTH = 110  # as the main screen's: below it the keys are drawn compact
PALETTE_WIDTH = {False: 14, True: 12}  # "▏ ^p palette " docked on the right (compact: no padding)


def key_width(key_display: str, description: str, compact: bool = False) -> int:
    """Columns a FooterKey takes (Textual 8's footer styles).

    Wide: the key padded one either side, then the description and one space. Compact: the
    key, one space and the description, then one space of margin.
    """
    if compact:
        return len(key_display) + (len(description) + 1 if description else 0) + 1
    return len(key_display) + 2 + (len(description) + 1 if description else 0)


def default_description(node: DOMNode, binding: Binding) -> str | None:
    """The description `binding` is declared with on `node`'s class (a toggle's default state)."""
    merged = type(node)._merged_bindings
    if merged is None:
        return None
    for declared in merged.key_to_bindings.get(binding.key, []):
        if declared.id == binding.id and declared.action == binding.action:
            return declared.description
    return None


def is_active_toggle(node: DOMNode, binding: Binding) -> bool:
    """A toggle ("Name: state") that is on, or not in the state it started in."""
    if ": " not in binding.description:
        return False
    if binding.description.endswith(": on"):
        return True
    default = default_description(node, binding)
    return default is not None and default != binding.description


def rank(node: DOMNode, binding: Binding) -> int:
    """0: always drawn … 3: left out first (see the module's docstring)."""
    if binding.id in KEPT or is_active_toggle(node, binding):
        return 0
    if binding.id in NEXT:
        return 1
    return 2 if ": " in binding.description else 3


def fit(entries: list[tuple[int, int]], width: int) -> set[int]:
    """The indexes of (rank, width) entries to draw in `width` columns.

    Drops rank 3 from the end of the line, then rank 2, 1 and 0 the same way, until the rest
    fits; then takes back, best rank first, any dropped key that still fits (a short key
    dropped before a long one).
    """
    keep = set(range(len(entries)))
    used = sum(w for _, w in entries)
    for level in (3, 2, 1, 0):
        for i in reversed(range(len(entries))):
            if used <= width:
                break
            if entries[i][0] == level and i in keep:
                keep.discard(i)
                used -= entries[i][1]
    for i in sorted(set(range(len(entries))) - keep, key=lambda i: (entries[i][0], i)):
        if used + entries[i][1] <= width:
            keep.add(i)
            used += entries[i][1]
    return keep


class StudioFooter(Footer):
    """A footer that chooses its keys by width (see the module's docstring)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._composed_width = 0

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._composed_width = self._width()
        compact = self._composed_width < NARROW_WIDTH
        self.compact = compact
        active = self.screen.active_bindings
        shown: list[tuple[DOMNode, Binding, bool, str]] = []
        actions: set[str] = set()
        for node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue  # one key per action, as Textual's footer
            actions.add(binding.action)
            shown.append((node, binding, enabled, tooltip))
        displays = [self.app.get_key_display(binding) for _, binding, _, _ in shown]
        # the palette key first: of rank 2, it is the last of its rank left out, the first taken back
        entries = [(2, PALETTE_WIDTH[compact])] + [
            (rank(node, binding), key_width(display, binding.description, compact))
            for (node, binding, _, _), display in zip(shown, displays, strict=True)
        ]
        keep = fit(entries, self._composed_width)
        palette = self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and 0 in keep
        for i, ((_, binding, enabled, tooltip), display) in enumerate(zip(shown, displays, strict=True), start=1):
            if i in keep:
                yield FooterKey(
                    binding.key,
                    display,
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip,
                ).data_bind(compact=Footer.compact)
        if palette:
            command = active.get(self.app.COMMAND_PALETTE_BINDING)
            if command is not None:
                _, binding, enabled, tooltip = command
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes="-command-palette",
                    disabled=not enabled,
                    tooltip=binding.tooltip or binding.description,
                )

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)

    def drawn(self) -> list[str]:
        """The keys drawn now, as shown ("f9 Review"): what tests and the help read."""
        return [
            f"{key.key_display} {key.description}".strip()
            for key in self.query(FooterKey)
            if not key.has_class("-command-palette")
        ]
