"""Full garbage collections and their longest pause, as ``/healthz`` reports them."""

from __future__ import annotations

import gc

from tests.helpers import local_server
from voicechat.server.gc_pauses import GcPauses


def test_only_full_collections_count_and_the_longest_is_kept() -> None:
    now = [0.0]
    pauses = GcPauses(clock=lambda: now[0])
    for generation, start, end in ((0, 0.0, 0.5), (2, 1.0, 1.040), (1, 2.0, 2.9),
                                   (2, 3.0, 3.012)):
        now[0] = start
        pauses._on_gc("start", {"generation": generation})
        now[0] = end
        pauses._on_gc("stop", {"generation": generation, "collected": 0})
    assert pauses.full_collections == 2
    assert round(pauses.longest_ms) == 40
    pauses.reset_longest()
    assert pauses.figures()["longest_full_ms"] == 0.0
    assert pauses.figures()["full_collections"] == 2


def test_a_real_collection_is_counted_once_installed_and_not_after() -> None:
    pauses = GcPauses()
    pauses.install()
    pauses.install()  # once only
    try:
        gc.collect()
        assert pauses.full_collections == 1
    finally:
        pauses.uninstall()
    gc.collect()
    assert pauses.full_collections == 1


async def test_healthz_reports_the_collections() -> None:
    import aiohttp

    async with local_server() as srv, aiohttp.ClientSession() as http:
        gc.collect()
        async with http.get(f"{srv.base_url}/healthz") as resp:
            figures = (await resp.json())["gc"]
    assert figures["full_collections"] >= 1 and figures["longest_full_ms"] > 0
    assert srv.gc_pauses._on_gc not in gc.callbacks  # the stopped server stopped counting
