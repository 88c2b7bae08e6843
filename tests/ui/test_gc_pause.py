"""The TUI's GC settings (voicechat/ui/gc_pause.py): applied on a real terminal only."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle
from voicechat.ui.gc_pause import YOUNG_THRESHOLD, quieten_gc


@pytest.fixture
def gc_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_quieten_gc_freezes_what_is_alive_and_raises_the_young_threshold(
    gc_restored: None,
) -> None:
    alive = [object() for _ in range(10)] + [[i] for i in range(10)]  # tracked: lists
    frozen = quieten_gc()
    assert frozen == gc.get_freeze_count() >= len(alive) // 2
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    garbage: list[object] = []
    garbage.append(garbage)  # a cycle made after the freeze is still collected
    del garbage
    assert gc.collect() >= 1


async def test_a_headless_app_leaves_the_gc_alone(gc_restored: None) -> None:
    before = gc.get_threshold(), gc.get_freeze_count()
    app = make_app(ScriptedHandle(), start_handle=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
