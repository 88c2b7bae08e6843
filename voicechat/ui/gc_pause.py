"""Short and rare garbage-collector pauses for the TUI.

Why: bench/bench_tui.py timed the app's slowest frames while a transcript streamed and found
CPython's full (generation 2) collections inside them, 50-90 ms each on this machine kind and
several a second at worst: each walked the ~90k objects that imports, Textual's DOM and the CSS
create at start-up and that live until exit, and rendering allocates so many short-lived
containers (strips, segment lists) that the default young-generation threshold (700) ran
collections, and through them full ones, all the time. Two public ``gc`` settings, once the
screen is up:

- ``gc.freeze()`` moves the objects alive now to a permanent generation that collections skip
  (after a ``gc.collect()``, so start-up garbage is freed rather than frozen);
- a young-generation threshold of :data:`YOUNG_THRESHOLD`: collections run ~14 times less
  often, and so do the full ones they lead to. Objects freed by reference counting (almost all)
  are freed at once as before; only cyclic garbage waits a little longer.

Only for a real terminal: headless runs (the test suite, many apps in one process) keep the
defaults, so no test's garbage is frozen for the rest of the run.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations (net of frees) of GC-tracked objects between young collections (CPython: 700)."""


def quieten_gc() -> int:
    """Collect, freeze what is alive and raise the young threshold; returns the frozen count."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return gc.get_freeze_count()
