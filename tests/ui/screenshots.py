"""Write the README's screenshots: the main screen in each shipped theme (120×40), transcribe
mode, an 80×24 terminal on a machine without a sound card, a tool call and the approval
modal, and the observer of ``voicechat
watch``/``proxy`` with two sessions and a problem.

    .venv/bin/python -m tests.ui.screenshots          # writes docs/screenshots/*.svg

The pictures come from the same scripted conversation as the snapshot tests (the real session
core fed with GA events, a fixed clock), so they are reproducible and show every pane filled.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.ui.observer.recorded import scene
from tests.ui.test_snapshots import LARGE, SMALL, scripted_app, tool_scene

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def shoot(theme: str, mode: str, name: str, *, size: tuple[int, int] = LARGE,
                banners: bool = False) -> Path:
    app, run_before = scripted_app(theme, mode=mode, banners=banners)
    async with app.run_test(size=size) as pilot:
        await run_before(pilot)
        await pilot.pause()
        path = OUT / name
        app.save_screenshot(filename=name, path=str(OUT))
    return path


async def shoot_tools(name: str) -> Path:
    """A finished tool call in the transcript and the next one's approval modal."""
    app, run_before = tool_scene()
    async with app.run_test(size=LARGE) as pilot:
        await run_before(pilot)
        app.save_screenshot(filename=name, path=str(OUT))
    return OUT / name


async def shoot_observer(second: bool, name: str) -> Path:
    """``voicechat watch`` with two recorded calls and a problem (tests/ui/observer)."""
    app, run_before = scene(second)
    async with app.run_test(size=LARGE) as pilot:
        await run_before(pilot)
        app.save_screenshot(filename=name, path=str(OUT))
    return OUT / name


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for theme in ("dark", "light", "high-contrast"):
        print(await shoot(theme, "vad", f"main-{theme}.svg"))
    print(await shoot("dark", "transcribe", "transcribe-dark.svg"))
    print(await shoot("dark", "vad", "small-80x24.svg", size=SMALL, banners=True))
    print(await shoot_tools("tools-approval.svg"))
    print(await shoot_observer(False, "observer-two-sessions.svg"))
    print(await shoot_observer(True, "observer-live-problem.svg"))


if __name__ == "__main__":
    asyncio.run(main())
