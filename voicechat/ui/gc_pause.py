"""Short garbage-collector pauses for the TUI: everything alive once the screen is up is frozen.

Why: bench/bench_tui.py timed the app's slowest frames while a transcript streamed and found
CPython's full (generation 2) collections inside them, 70-90 ms each on this machine kind,
because every one walked the ~90k objects that imports, Textual's DOM and the CSS create at
start-up and that live until exit. Those stalls were most of the event loop's p99 lag and of
the deltas handled late. ``gc.freeze()`` (public since Python 3.7) moves the objects alive now
to a permanent generation that collections skip; objects made later are collected as usual.
A ``gc.collect()`` first, so start-up garbage is freed rather than frozen.

Only for a real terminal: headless runs (the test suite, many apps in one process) keep the
default, so no test's garbage is frozen for the rest of the run.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect, then freeze what is alive; returns how many objects are frozen in all."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
