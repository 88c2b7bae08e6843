"""A web page's own origin on 127.0.0.1, as a real web app has: it serves the page, hands it its
settings, mints ``ek_`` keys with the real key (which the page never sees), and collects what
the page reports, step by step, until it says ``done`` (or ``failed``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

Minter = Callable[[web.Request], Awaitable[web.Response]]


class PageOrigin:
    """Routes ``/`` (the page), ``/config``, ``/token`` (``mint``) and ``/report``."""

    def __init__(self, page: Path, config: dict[str, Any], mint: Minter) -> None:
        self.page, self.config, self.mint = page, config, mint
        self.reports: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.origin = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> PageOrigin:
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/config", self._config)
        app.router.add_post("/token", self.mint)
        app.router.add_post("/report", self._report)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.origin = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=self.page.read_text(), content_type="text/html")

    async def _config(self, request: web.Request) -> web.Response:
        return web.json_response(self.config)

    async def _report(self, request: web.Request) -> web.Response:
        await self.reports.put(await request.json())
        return web.Response(status=204)

    async def collect(self, log: Path, timeout: float) -> dict[str, dict[str, Any]]:
        """Every step's report until ``done``; a ``failed`` report or the timeout raises an
        ``AssertionError`` naming the step, the page's ICE candidates and Chromium's log."""
        steps: dict[str, dict[str, Any]] = {}

        async def run() -> None:
            while True:
                report = await self.reports.get()
                steps[report["step"]] = report
                if report["step"] == "failed":
                    raise AssertionError(
                        f"the page failed: {report['error']}\n"
                        f"its ICE candidates: {report.get('local_candidates')}\n"
                        f"steps: {json.dumps(steps)[:3000]}\n"
                        f"chromium said:\n{log.read_text(errors='replace')[-2000:]}")
                if report["step"] == "done":
                    return

        try:
            await asyncio.wait_for(run(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"the page did not finish in {timeout:.0f} s; steps so far: "
                f"{json.dumps(steps)[:3000]}\nchromium said:\n"
                f"{log.read_text(errors='replace')[-3000:]}") from None
        return steps
