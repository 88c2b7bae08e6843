"""Where the TUI's streaming time goes: a cProfile of the app's loop thread, split by phase.

Used by ``bench/bench_tui.py`` (its profiled child). Each function's own time (``tottime``) is
charged to one phase by the file it lives in, so the phases add up to the profiled total:

- ``layout``: Textual arranging widgets (``_arrange``, ``layouts/``, the compositor's reflow);
- ``composite``: the compositor cutting and combining strips into the screen update;
- ``render``: painting lines (Rich text/segments, strips, ``render_line``/``render``);
- ``styles``: CSS style lookups and merges;
- ``ui``: voicechat's own widget code (``voicechat/ui``);
- ``core``: the session core and protocol mapping (``voicechat/core``, ``voicechat/protocol``);
- ``log``: the event log (``voicechat/eventlog``);
- ``output``: the driver writing escape codes;
- ``loop``: asyncio and Textual's message pumps, timers and events;
- ``bench``: the benchmark's own feeding code (``tests/ui/fakes.py``, this directory);
- ``other``: everything else.

The writer thread Textual uses for output is not on the loop thread and not in the profile; the
bench's CPU figure (process time) includes it.
"""

from __future__ import annotations

import cProfile
import pstats

PHASES: list[tuple[str, tuple[str, ...]]] = [
    ("bench", ("tests/ui/", "/bench/")),
    ("core", ("voicechat/core/", "voicechat/protocol/")),
    ("log", ("voicechat/eventlog/",)),
    ("ui", ("voicechat/ui/",)),
    ("layout", ("textual/_arrange", "textual/layouts/", "textual/_layout", "textual/box_model",
                "textual/_resolve", "textual/_spatial_map")),
    ("composite", ("textual/_compositor", "textual/_segment_tools", "textual/filter")),
    ("render", ("rich/", "textual/strip", "textual/render", "textual/_styles_cache",
                "textual/_border", "textual/widget.py", "textual/scroll_view",
                "textual/content", "textual/visual", "textual/_loop", "textual/_cells",
                "textual/color", "textual/widgets/")),
    ("styles", ("textual/css/", "textual/dom")),
    ("output", ("textual/drivers/", "textual/_xterm", "textual/_writer", "textual/screen.py",
                "textual/_context")),
    ("loop", ("asyncio/", "textual/message_pump", "textual/timer", "textual/events",
              "textual/message", "textual/_callback", "textual/app.py", "textual/reactive",
              "textual/signal", "textual/_time", "textual/_work", "textual/worker",
              "selectors", "threading")),
]


def phase_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    for phase, markers in PHASES:
        if any(marker in path for marker in markers):
            return phase
    return "other"


def split(profile: cProfile.Profile) -> dict[str, float]:
    """Seconds of own time per phase (see the module docstring).

    Built-in functions (no file) are charged to their callers' phases in proportion to the calls
    each made; time blocked in ``epoll`` is waiting, not work, and is left out."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    totals: dict[str, float] = {}

    def charge(phase: str, seconds: float) -> None:
        totals[phase] = totals.get(phase, 0.0) + seconds

    for (filename, _line, name), row in stats.items():
        tottime, callers = row[2], row[4]
        if "epoll" in name or ("select" in name and filename == "~"):
            continue
        if filename != "~":
            charge(phase_of(filename), tottime)
            continue
        by_caller = {caller: data[2] for caller, data in callers.items()}
        spent = sum(by_caller.values()) or 1.0
        if not by_caller:
            charge("other", tottime)
        for caller, seconds in by_caller.items():
            charge(phase_of(caller[0]), tottime * seconds / spent)
    return totals


ENTRY_POINTS = {
    "screen layout": ("textual/screen.py", "_refresh_layout"),
    "compositor update": ("textual/_compositor.py", "render_update"),
    "EventFlow.add_record": ("voicechat/ui/event_flow.py", "add_record"),
    "EventFlow.render_line": ("voicechat/ui/event_flow.py", "render_line"),
    "Transcript.update_entries": ("voicechat/ui/widgets/transcript.py", "update_entries"),
    "StatusBar.show": ("voicechat/ui/widgets/status_bar.py", "show"),
    "StatusBar.render": ("voicechat/ui/widgets/status_bar.py", "render"),
    "VadTimeline.render": ("voicechat/ui/widgets/vad_timeline.py", "render"),
    "ScreenSync.sync": ("voicechat/ui/screen_sync.py", "sync"),
    "core (Session.handle)": ("voicechat/core/session.py", "handle"),
    "Transcript.render_line": ("voicechat/ui/widgets/transcript.py", "render_line"),
}


def entry_points(profile: cProfile.Profile) -> dict[str, float]:
    """Cumulative seconds spent under a few named functions (they nest: no sum)."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for (filename, _line, name), row in stats.items():
        for label, (path, func) in ENTRY_POINTS.items():
            if name == func and filename.replace("\\", "/").endswith(path):
                found[label] = found.get(label, 0.0) + row[3]
    return found


def top(profile: cProfile.Profile, count: int = 12) -> list[tuple[str, float, float]]:
    """The ``count`` functions with the most cumulative time: (name, cumulative s, own s)."""
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        short = "/".join(filename.replace("\\", "/").split("/")[-2:])
        rows.append((f"{short}:{line}({name})", row[3], row[2]))
    rows.sort(key=lambda r: -r[1])
    return rows[:count]


def own_top(profile: cProfile.Profile, count: int = 12) -> list[tuple[str, float]]:
    """The ``count`` functions with the most own time (waiting in ``epoll`` left out)."""
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if "epoll" in name:
            continue
        short = "/".join(filename.replace("\\", "/").split("/")[-2:])
        rows.append((f"{short}:{line}({name})", row[2]))
    rows.sort(key=lambda r: -r[1])
    return rows[:count]
