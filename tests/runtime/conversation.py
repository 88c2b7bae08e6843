"""A runtime under test plus every record it emitted, and a poll-until for its state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.helpers import WAIT_S, until
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

    async def until(self, predicate: Callable[[], bool], timeout: float = WAIT_S) -> None:
        await until(predicate, lambda: f"the conversation; last events: {self.kinds()[-25:]}",
                    timeout=timeout)
