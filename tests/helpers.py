"""What every test area shares: waiting for a condition, an event stream, and a local server.

Tests never sleep for a fixed time and then assert: they wait for the state they expect, and a
timeout only decides how long a *failing* test takes to say so. Everything here waits on one
generous ``WAIT_S``, because these machines are shared and slow; no test asserts how long
anything took.

The local server is the real one (``voicechat.server.app.LocalServer``) on 127.0.0.1:0; it is
imported lazily so that collecting the sans-IO tests loads no aiohttp or aiortc.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from voicechat.server.app import LocalServer

WAIT_S = 40.0

T = TypeVar("T")
Why = str | Callable[[], str]


def _timed_out(what: Why, timeout: float) -> AssertionError:
    text = what() if callable(what) else what
    return AssertionError(f"timed out after {timeout:g} s waiting for {text}")


async def until(
    probe: Callable[[], T],
    what: Why,
    *,
    timeout: float = WAIT_S,
    step: float = 0.05,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Poll ``probe`` until it returns something truthy, and return that.

    ``what`` names the awaited state for the failure message; make it a callable to report what
    the test saw instead (the last events, the screen). ``sleep`` lets a Textual test pass
    ``pilot.pause`` so the app processes its messages between polls.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not (value := probe()):
        if loop.time() > end:
            raise _timed_out(what, timeout)
        await sleep(step)
    return value


def until_sync(
    probe: Callable[[], T], what: Why, *, timeout: float = WAIT_S, step: float = 0.2
) -> T:
    """:func:`until` for tests without an event loop (a child process, a tmux screen)."""
    end = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > end:
            raise _timed_out(what, timeout)
        time.sleep(step)
    return value


class EventLog:
    """Every event a test peer received, in order, and a wait for the next one of a kind.

    Waiting is driven by arrivals (an :class:`asyncio.Event`), not by polling.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    def add(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._changed.set()

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    async def wait_for(
        self,
        kind: str,
        *,
        where: Callable[[dict[str, Any]], bool] = lambda e: True,
        after: int = 0,
        timeout: float = WAIT_S,
    ) -> dict[str, Any]:
        """The first event of ``kind`` at index >= ``after`` matching ``where``."""

        async def scan() -> dict[str, Any]:
            while True:
                for event in self.events[after:]:
                    if event["type"] == kind and where(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            raise _timed_out(f"{kind}; last events: {self.types()[-20:]}", timeout) from None

    def index(self, event: dict[str, Any]) -> int:
        return next(i for i, e in enumerate(self.events) if e is event)


@asynccontextmanager
async def local_server(**overrides: Any) -> AsyncIterator[LocalServer]:
    """The real local server on 127.0.0.1:0, with the deterministic ``tone`` voice by default.

    ``overrides`` are :class:`~voicechat.server.app.ServerConfig` fields. The ``server``
    fixture (tests/conftest.py) is this plus the test grammar and scripted replies.
    """
    from voicechat.server.app import LocalServer, ServerConfig

    overrides.setdefault("voice", "tone")
    async with LocalServer(ServerConfig(**overrides)) as srv:
        yield srv


def user_terminal_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user with no key and no config of their own, in a terminal that
    knows its size: no ``OPENAI_``, ``AZURE_OPENAI_`` or ``VOICECHAT_`` variable, ``HOME`` and
    ``XDG_CONFIG_HOME`` in ``home``, ``TERM`` xterm-256color, and no ``COLUMNS`` or ``LINES``:
    pytest-xdist sets 80 by 24 in its workers, and Textual takes those over the pane's own
    size (the tmux tests, run in two lanes, saw an 80-column app in a 160-column pane)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "AZURE_OPENAI_", "VOICECHAT_"))
           and k not in ("COLUMNS", "LINES")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "xdg"), TERM="xterm-256color",
               **extra)
    return env


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of one of our JSONL event logs, as plain dicts."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def events(records: list[dict[str, Any]], direction: str | None = None) -> list[dict[str, Any]]:
    """The events of ``records`` (from :func:`read_records`), optionally of one direction."""
    return [r["event"] for r in records if direction is None or r["dir"] == direction]


class Emitted:
    """Collects what a sans-IO server part emits (it is the part's ``emit`` callback)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The events of type ``kind``, in order."""
        return [e for e in self.events if e["type"] == kind]


def without_a_writer(fifo: Path, call: Callable[[], Any], waited: str) -> Any:
    """``call()`` (which opens ``fifo``, a FIFO nothing writes to) in a thread: what it
    returned or raised. If it is still blocked after 30 s (an ``open`` waiting for a writer),
    it is let go by opening the FIFO's write end, and the test fails with ``waited``."""
    import os
    import threading

    import pytest

    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # the caller asserts on it
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(waited)
    [result] = outcome
    return result
