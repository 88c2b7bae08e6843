"""The frame of a ``--no-ui`` run, the same for both API families (Realtime:
:mod:`voicechat.commands.headless`; GPT-Live: :mod:`voicechat.commands.live_headless`).

Each family decides what it prints and when its run is finished (:meth:`EndWatch.check`);
around that a run goes the same way: start the runtime, or say on stderr why it could not
start (exit code 1); end on Ctrl+C or SIGTERM as on the run's own end; poll for that end;
then stop the lines, the runtime and the signal handlers, print the usage line last, and exit
with the worst code of the runtime, the end and the lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TextIO

from voicechat.config import ConfigError


@dataclass(frozen=True)
class Ending:
    """Why the run is over, said as a notice; ``exit_code`` 1 when it fell short."""

    level: str
    message: str
    exit_code: int = 0


class HeadlessRuntime(Protocol):
    """What the frame asks of a runtime (``Runtime`` and ``LiveRuntime`` both are one)."""

    finished: asyncio.Event
    exit_code: int
    record_error: str | None

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def notice(self, level: str, message: str) -> None: ...


class HeadlessLines(Protocol):
    """What the frame asks of the stdin lines (``StdinLines`` and ``LiveStdinLines``)."""

    exit_code: int

    def start(self) -> None: ...

    def stop(self) -> None: ...


class EndWatch(ABC):
    """Polls a family's :meth:`check` until the run is over, then says why (once) and marks
    the runtime finished; a run ended otherwise (Ctrl+C, stdin) keeps ``ending`` ``None``."""

    def __init__(self, runtime: HeadlessRuntime) -> None:
        self._watched = runtime
        self.ending: Ending | None = None

    @abstractmethod
    def check(self) -> Ending | None:
        """The ending if the run is over now, else ``None``."""

    @abstractmethod
    async def _pause(self) -> None:
        """Wait until the next :meth:`check`."""

    async def watch(self) -> None:
        """Poll until the run is over, say why, and mark the runtime finished."""
        runtime = self._watched
        while not runtime.finished.is_set():
            await self._pause()
            ending = self.check()
            if ending is not None and not runtime.finished.is_set():
                self.ending = ending
                runtime.notice(ending.level, ending.message)
                runtime.finished.set()

    @property
    def exit_code(self) -> int:
        return self.ending.exit_code if self.ending is not None else 0


async def start_or_say_why(runtime: HeadlessRuntime, *, with_fix: bool) -> bool:
    """Start ``runtime``; ``False`` when it could not start, said on stderr (with the advice
    the TUI's problem banner gives for an auth or connection failure, if ``with_fix``)."""
    from voicechat.audio.devices import AudioUnavailable
    from voicechat.audio.files import AudioFileError
    from voicechat.transport.auth import AuthError, ConnectError

    try:
        await runtime.start()
    except (AuthError, ConnectError, AudioFileError, AudioUnavailable, ConfigError) as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        if with_fix and isinstance(exc, AuthError | ConnectError):
            from voicechat.ui.problems import problem_from_exception

            print(f"  fix: {problem_from_exception(exc).fix}", file=sys.stderr)
        return False
    except OSError as exc:  # e.g. --record into a missing directory
        print(f"voicechat: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return False
    return True


async def run_until_finished(runtime: HeadlessRuntime, end: EndWatch, lines: HeadlessLines, *,
                             stream: TextIO, usage: Callable[[], str], name: str) -> int:
    """Run the started ``runtime`` until it is finished (its end, ``end``'s, the lines' or a
    signal's), stop everything, print ``usage()`` last; the exit code."""
    loop = asyncio.get_running_loop()
    # Loops without signal support (Windows) raise NotImplementedError: Ctrl+C then ends the run
    # through KeyboardInterrupt instead.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, runtime.finished.set)
        loop.add_signal_handler(signal.SIGTERM, runtime.finished.set)
    lines.start()
    watcher = loop.create_task(end.watch(), name=name)
    try:
        await runtime.finished.wait()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        lines.stop()
        await runtime.stop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)
        with contextlib.suppress(OSError):
            print(usage(), file=stream, flush=True)
    if runtime.record_error is not None:  # said as a notice too, but stdout may be a pipe
        print(f"voicechat: {runtime.record_error}", file=sys.stderr)
    return max(runtime.exit_code, end.exit_code, lines.exit_code)
