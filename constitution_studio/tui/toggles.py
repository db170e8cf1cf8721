"""Footer entries that show a toggle's state ("Flips only: on"): a binding's text, changed live.

Textual draws the footer from each node's bindings map; replacing the binding there (it is a
frozen dataclass) and refreshing the bindings is all a state change takes.
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode


def relabel(node: DOMNode, key: str, description: str, show: bool | None = None) -> None:
    """Show `description` for `key`'s binding on `node` (footer, help) from now on; `show` in the footer."""
    table = node._bindings.key_to_bindings
    bindings = table.get(key, [])
    if all(b.description == description and (show is None or b.show == show) for b in bindings):
        return
    table[key] = [  # a new list: the map is copied shallowly from the class's
        replace(b, description=description, show=b.show if show is None else show) for b in bindings
    ]
    node.refresh_bindings()


def on_off(value: bool) -> str:
    return "on" if value else "off"
