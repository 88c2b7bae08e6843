"""Count a process's event-loop wake-ups and what each one ran: ``voicechat`` under a counter.

Usage: ``python bench/loop_wakeups.py OUT WARMUP SECONDS -- voicechat-args...``. Runs the
``voicechat`` command in this process with :class:`asyncio.BaseEventLoop`'s selector wrapped:
every ``select`` that was allowed to block (timeout not zero) is a wake-up, and every handle the
loop ran is counted by the function it called. After ``WARMUP`` seconds it starts counting, after
``SECONDS`` more it writes the figures to ``OUT`` (JSON) and the process goes on until it is
stopped. With ``LOOP_WAKEUPS_PROFILE=FILE`` the loop thread also runs under cProfile over the
same window (``python -m pstats FILE``). The counting itself costs CPU, so CPU figures come from
a run without it (``bench_tui_mic.py``); ``bench_tui_mic.py --wakeups`` runs this after its CPU
runs.
"""

from __future__ import annotations

import asyncio
import collections
import cProfile
import json
import os
import sys
import threading
import time
from asyncio import events
from asyncio.selector_events import BaseSelectorEventLoop
from pathlib import Path
from typing import Any


class Counter:
    def __init__(self) -> None:
        self.on = False
        self.selects = 0
        self.blocking = 0
        self.handles: collections.Counter[str] = collections.Counter()
        self.profile_path = os.environ.get("LOOP_WAKEUPS_PROFILE", "")
        self.profiler = cProfile.Profile() if self.profile_path else None
        self.profiling = False

    def install(self) -> None:
        counter = self
        original_run = events.Handle._run

        def run(handle: events.Handle) -> None:
            if counter.on:
                counter.handles[_name(handle)] += 1
            if counter.profiler is not None and counter.on != counter.profiling:
                counter.profiling = counter.on
                if counter.on:
                    counter.profiler.enable()
                else:
                    counter.profiler.disable()
                    counter.profiler.dump_stats(counter.profile_path)
            original_run(handle)

        events.Handle._run = run  # type: ignore[method-assign]
        original_init = BaseSelectorEventLoop.__init__

        def init(loop: Any, *args: Any, **kwargs: Any) -> None:
            original_init(loop, *args, **kwargs)
            selector = getattr(loop, "_selector", None)
            if selector is None:
                return
            select = selector.select

            def counted(timeout: float | None = None) -> Any:
                if counter.on:
                    counter.selects += 1
                    if timeout is None or timeout > 0:
                        counter.blocking += 1
                return select(timeout)

            selector.select = counted

        BaseSelectorEventLoop.__init__ = init  # type: ignore[method-assign]


def _name(handle: events.Handle) -> str:
    callback: Any = handle._callback
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        return f"task {getattr(coro, '__qualname__', task.get_name())}"
    return getattr(callback, "__qualname__", repr(callback))


def main() -> None:
    out, warmup, seconds = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    args = sys.argv[sys.argv.index("--") + 1 :]
    counter = Counter()
    counter.install()

    def measure() -> None:
        time.sleep(warmup)
        counter.on = True
        time.sleep(seconds)
        counter.on = False
        out.write_text(json.dumps({
            "seconds": seconds,
            "wakeups": counter.blocking,
            "selects": counter.selects,
            "handles": dict(counter.handles.most_common(25)),
        }))

    threading.Thread(target=measure, daemon=True).start()
    sys.argv = ["voicechat", *args]
    from voicechat.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
