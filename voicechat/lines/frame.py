"""The frame of a ``--no-ui`` run, the same for every API family (Realtime:
:mod:`voicechat.lines.realtime`; GPT-Live: :mod:`voicechat.lines.live`).

Each family decides when its run is finished (:meth:`EndWatch.check`) and when nothing is
being said or played (:meth:`EndWatch.idle`); around that a run goes the same way: start the
runtime, or say on stderr why it could not start (exit code 1); end on Ctrl+C or SIGTERM as on
the run's own end; poll for that end; then stop the lines, the runtime and the signal
handlers, print the usage line last, and exit with the worst code of the runtime, the end and
the lines.

Piped lines end the run when the input is over and every line is answered, but only once the
family is idle: the last answer's audio has been played (drained to the speaker, a file
speaker included), not when its ``response.done`` arrives (issue 36: the run used to end
~10 ms after it, with most of the answer unplayed). Ctrl+D at a terminal is the end of the
input too (issue 55, item 9): the user said they are done, so it ends the run the same way,
once what was typed is answered and heard.

An input that ends before any line was sent (``: | voicechat --no-ui --mic none``, an empty
file, ``</dev/null``; issue 55, item 1) ends the run, exit code 0, with a notice, when nothing
else can speak: there is no mic (``--mic none``, or no device could open). With a mic the run
goes on, since the person (or the ``--mic`` file, whose own end ends the run) still speaks: an
idle CI job's empty stdin must not cut a spoken run short. At a terminal, Ctrl+D before
anything was typed ends the run whatever the mic: there it is the user's word.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from voicechat.config import ConfigError

if TYPE_CHECKING:
    from voicechat.audio.ports import MicSource


@dataclass(frozen=True)
class Ending:
    """Why the run is over, said as a notice; ``exit_code`` 1 when it fell short."""

    level: str
    message: str
    exit_code: int = 0


class LinesRuntime(Protocol):
    """What the frame asks of a runtime (``Runtime`` and ``LiveRuntime`` both are one)."""

    finished: asyncio.Event
    exit_code: int
    record_error: str | None
    #: the opened mic; ``None`` when there is none (``--mic none``, or no device could open)
    mic: MicSource | None

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def notice(self, level: str, message: str) -> None: ...


class FinishingLines(Protocol):
    """What the frame asks of the stdin lines (``StdinLines`` and ``LiveStdinLines``)."""

    exit_code: int
    #: the input is over and every line has its answer (or was given up on)
    done: bool
    #: the input is over and no line was sent (or tried): empty, blank lines, /dev/null
    ended_empty: bool
    @property
    def interactive(self) -> bool:
        """The lines are typed at a terminal (Ctrl+D there is the user's word to end)."""
    #: the run has its ``--turns``: no line is sent after that (set by the frame)
    enough: Callable[[], bool]

    def start(self) -> None: ...

    def stop(self) -> None: ...


class EndWatch(ABC):
    """Polls a family's :meth:`check` until the run is over, then says why (once) and marks
    the runtime finished; a run ended otherwise (Ctrl+C, stdin) keeps ``ending`` ``None``."""

    def __init__(self, runtime: LinesRuntime, turns: int | None) -> None:
        self._watched = runtime
        self.turns = turns
        self.ending: Ending | None = None
        #: the stdin lines whose end (and answers) ends the run, set by the frame
        self.input: FinishingLines | None = None

    @abstractmethod
    def check(self) -> Ending | None:
        """The ending if the run is over now, else ``None``."""

    @abstractmethod
    def turns_done(self) -> int:
        """What ``--turns`` counts in this family, so far (responses, answer turns)."""

    def turns_reached(self) -> bool:
        """``--turns N`` was given and N are done: piped lines stop being sent here, so the
        run ends after N answers instead of answering every line (issue 55, item 2)."""
        return self.turns is not None and self.turns_done() >= self.turns

    @abstractmethod
    def idle(self) -> bool:
        """Nothing is being answered or played (the last answer has been heard whole)."""

    def ending_now(self) -> Ending | None:
        """The family's ending, or the end of the piped input once its last answer played."""
        ending = self.check()
        lines = self.input
        if ending is not None or lines is None or not self.idle():
            return ending
        if lines.done:
            return Ending("info", "end of the input and of the last answer")
        if lines.ended_empty and lines.interactive:
            return self._short_of_turns("end of the input (Ctrl+D)")
        if lines.ended_empty and self._watched.mic is None:
            return self._short_of_turns("stdin ended with no line to send and there is no "
                                        "mic: nothing more can be said")
        return None

    def _short_of_turns(self, why: str) -> Ending:
        """The end of an input that sent nothing: exit code 1 if ``--turns`` is not reached
        (the rule a short ``--mic`` file and short piped input follow)."""
        if self.turns is not None and not self.turns_reached():
            return Ending("error", f"{why}, {self.turns_done()} of --turns {self.turns} done",
                          1)
        return Ending("info", why)

    @abstractmethod
    async def _pause(self) -> None:
        """Wait until the next :meth:`check`."""

    async def watch(self) -> None:
        """Poll until the run is over, say why, and mark the runtime finished."""
        runtime = self._watched
        while not runtime.finished.is_set():
            await self._pause()
            ending = self.ending_now()
            if ending is not None and not runtime.finished.is_set():
                self.ending = ending
                runtime.notice(ending.level, ending.message)
                runtime.finished.set()

    @property
    def exit_code(self) -> int:
        return self.ending.exit_code if self.ending is not None else 0


async def start_or_say_why(runtime: LinesRuntime, *, with_fix: bool) -> bool:
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


async def run_until_finished(runtime: LinesRuntime, end: EndWatch, lines: FinishingLines, *,
                             stream: TextIO, usage: Callable[[], str], name: str) -> int:
    """Run the started ``runtime`` until it is finished (its end, ``end``'s, the lines' or a
    signal's), stop everything, print ``usage()`` last; the exit code."""
    loop = asyncio.get_running_loop()
    # Loops without signal support (Windows) raise NotImplementedError: Ctrl+C then ends the run
    # through KeyboardInterrupt instead.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, runtime.finished.set)
        loop.add_signal_handler(signal.SIGTERM, runtime.finished.set)
    end.input = lines
    lines.enough = end.turns_reached
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
