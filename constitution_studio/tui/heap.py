"""Loading a large constitution without the cyclic garbage collector in the way.

Loading 50,000 cases creates a few hundred thousand objects that live as long as the studio.
While they are being created, Python's cyclic GC runs hundreds of times over an ever larger
heap (0.5 s of a 0.8 s load at that scale, measured in benchmarks/tui_bench.py), and once
they are loaded, each full collection walks all of them again (~0.1 s: a keystroke that
happens to trigger one stutters). So the load runs with the collector paused, and what it
loaded is then frozen (`gc.freeze`): moved out of the collector's sight. Reference counting
still frees everything that is dropped later; only reference cycles among frozen objects
would stay, and the loaded models hold none.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from constitution_studio.core.gc_pause import paused_gc


@contextmanager
def bulk_load() -> Iterator[None]:
    """Pause the cyclic GC while loading; freeze what exists afterwards."""
    try:
        with paused_gc():
            yield
    finally:
        gc.freeze()
