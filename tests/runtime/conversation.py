"""A runtime under test plus every record it emitted, and a poll-until for its state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from voicechat.eventlog.record import LogRecord
from voicechat.runtime import Runtime


def norm(text: str) -> str:
    return text.lower().strip().rstrip(".?!")


class Conversation:
    """A runtime plus every record it emitted."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.records: list[LogRecord] = []
        runtime.subscribe(self.records.append)

    def kinds(self, direction: str | None = None) -> list[str]:
        return [r.event["type"] for r in self.records if direction in (None, r.dir)]

    def find(self, kind: str, direction: str | None = None) -> list[dict[str, Any]]:
        return [r.event for r in self.records
                if r.event["type"] == kind and direction in (None, r.dir)]

    def notices(self) -> list[str]:
        return [str(e["message"]) for e in self.find("local.notice")]

    async def until(self, predicate: Callable[[], bool], timeout: float = 40.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not predicate():
            if loop.time() > end:
                raise AssertionError(f"timed out; last events: {self.kinds()[-25:]}")
            await asyncio.sleep(0.05)
