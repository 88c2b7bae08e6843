"""Lines on stdin as typed messages for ``--no-ui``: from a terminal, a pipe or a file.

A terminal's lines are sent as they are typed. Piped or redirected lines are a script driving a
conversation (``printf 'hi\\nand?\\n' | voicechat --no-ui``), so they are sent one per turn: the
next line goes out when the server has finished the response to the previous one
(``response.done``, or an ``error``), instead of piling items up behind one queued response.

End of input after at least one line ends the run once the last line is answered (``done``:
the frame then waits for that answer to be played whole before it ends the run); with
``--turns N`` the run also ends there, with exit code 1 and a notice if fewer than N responses
completed (the same rule as a ``--mic FILE`` that ends early). With ``--turns N`` the lines
after the N-th answer are not sent (``enough``, the family's count as the frame reads it): the
run ends there, as the help says, instead of answering every line first.

Ctrl+D at a terminal is the end of the input as well (typed lines are sent at once, but the
last one's answer is still waited for). An input that ends with no line at all (empty, blank
lines, ``/dev/null``) is ``ended_empty``: the frame ends the run then only if nothing else can
speak (no mic), or at a terminal (see :mod:`voicechat.lines.frame`).

A line ``/image PATH [caption]`` sends a picture (``send_image``); one that cannot be sent is
printed on stderr, waits for no answer, and makes the exit code 1.

Only the handle's public seam is used (:class:`LinesHandle`: ``subscribe``, ``send_text``,
``send_image``), so this works on either family's runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from voicechat.core.image_command import parse_image_command

if TYPE_CHECKING:
    from voicechat.eventlog.record import LogRecord


class LinesHandle(Protocol):
    """What the lines ask of a conversation (both families' runtimes implement it)."""

    def subscribe(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]: ...

    def send_text(self, text: str) -> None: ...

    def send_image(self, path: str, caption: str = "") -> str | None: ...


class StdinLines:
    """Feeds stdin's lines to ``handle.send_text``; see the module docstring for the rules."""

    def __init__(self, handle: LinesHandle, *, turns: int | None, stream: TextIO | None = None,
                 err: TextIO | None = None,
                 intercept: Callable[[str], bool] | None = None,
                 at_eof: Callable[[], None] | None = None) -> None:
        self.handle = handle
        self.turns = turns
        self.stream = stream if stream is not None else sys.stdin
        self.err = err if err is not None else sys.stderr
        self.exit_code = 0
        self.sent = 0
        self.failed = 0  # lines that could not be sent (a bad picture)
        self.answered = 0
        #: the input is over and every line was answered: the frame ends the run once the
        #: last answer has played (Ctrl+D at a terminal included)
        self.done = False
        #: the input is over and not one line was sent or tried
        self.ended_empty = False
        #: the run has its ``--turns`` (the frame sets this from the family's count)
        self.enough: Callable[[], bool] = lambda: False
        self._lines: deque[str] = deque()
        self._awaiting = False
        self._eof = False
        self._reading = False
        self._interactive = False
        self._unsubscribe: Any = None
        #: takes a line first (a tool approval's answer); ``True`` when it was consumed
        self.intercept = intercept
        #: told when the input ends (a terminal's approvals: nobody is left to answer)
        self.at_eof = at_eof

    @property
    def interactive(self) -> bool:
        """The lines are typed at a terminal."""
        return self._interactive

    def start(self) -> None:
        """Start reading; stdin that is absent, closed or a device other than a terminal
        (``/dev/null``) is an input that ended with no line."""
        stream = self.stream
        try:
            fd = stream.fileno()
            mode = os.fstat(fd).st_mode
        except (AttributeError, OSError, ValueError):  # None (pythonw), closed, no descriptor
            self._at_eof()
            return
        loop = asyncio.get_running_loop()
        self._interactive = stream.isatty()
        self._unsubscribe = self.handle.subscribe(self._on_record)
        if self._interactive or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            # add_reader, not a thread: a thread blocked in readline() would hold up the exit
            loop.add_reader(fd, self._readable)
            self._reading = True
        elif stat.S_ISREG(mode):  # `voicechat --no-ui < script.txt`: epoll refuses files
            for line in stream:
                self._take(line)
            self._at_eof()
        else:  # /dev/null and other devices: nothing to read as lines
            self._at_eof()

    def stop(self) -> None:
        if self._reading:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self.stream.fileno())
            self._reading = False
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # --- input ---------------------------------------------------------------------------

    def _readable(self) -> None:
        line = self.stream.readline()
        if not line:
            self.stop_reading()
            self._at_eof()
            return
        self._take(line)

    def stop_reading(self) -> None:
        if self._reading:
            asyncio.get_running_loop().remove_reader(self.stream.fileno())
            self._reading = False

    def _take(self, line: str) -> None:
        text = line.rstrip("\r\n")
        if not text.strip():
            return
        if self.intercept is not None and self.intercept(text):
            return
        if self._interactive:  # sent as typed; the latest line's answer is awaited
            if self._send(text):
                self._awaiting = True
            return
        self._lines.append(text)
        self._next()

    def _at_eof(self) -> None:
        self._eof = True
        if self.at_eof is not None:
            self.at_eof()
        self._maybe_finish()

    # --- turns ---------------------------------------------------------------------------

    def _send(self, text: str) -> bool:
        """Send one line; ``False`` when nothing went out (a picture that cannot be sent: the
        problem is printed, and there is no answer to wait for)."""
        command = parse_image_command(text)
        if command is not None:
            problem = self.handle.send_image(command.path, command.caption)
            if problem is not None:
                print(f"voicechat: {problem}", file=self.err, flush=True)
                self.failed += 1
                self.exit_code = 1
                return False
        else:
            self.handle.send_text(text)
        self.sent += 1
        return True

    def _next(self) -> None:
        while not self._awaiting and self._lines:
            if self.enough():
                self._hold()
                break
            self._awaiting = self._send(self._lines.popleft())
        self._maybe_finish()

    def _hold(self) -> None:
        """``--turns`` is reached: the lines left are not sent, and no more are read (the run
        ends once the last answer has played)."""
        self._lines.clear()
        self.stop_reading()
        self._eof = True

    def _on_record(self, record: Any) -> None:
        if record.dir != "in":
            return
        kind = record.event.get("type")
        if kind == "response.done":
            self.answered += 1
            if calls_tools(record.event):
                return  # the answer comes in the response that follows the tools' outputs
        if self._awaiting and kind in ("response.done", "error"):
            self._awaiting = False
            # Subscribers hear an event before the session handles it: sent now, the next line's
            # response.create would meet a response still active and be queued behind it (a
            # "response queued" notice for every piped line). One loop turn later it is not.
            asyncio.get_running_loop().call_soon(self._next)

    def _maybe_finish(self) -> None:
        if not self._eof or self._awaiting or self._lines or self.done:
            return
        if self.sent + self.failed == 0:
            self.ended_empty = True  # the frame decides whether that ends the run
            return
        if self.turns is not None and self.answered < self.turns and not self.enough():
            print(f"voicechat: stdin ended after {self.answered} of {self.turns} completed "
                  "response(s)", file=self.err, flush=True)
            self.exit_code = 1
        self.done = True


def calls_tools(event: Mapping[str, Any]) -> bool:
    """A ``response.done`` that ended by asking for tools: completed, with a completed function
    call, a hosted MCP approval request or call in its output (the client replies to it)."""
    response = event.get("response")
    if not isinstance(response, Mapping) or response.get("status") not in (None, "completed"):
        return False
    output = response.get("output")
    items = [i for i in output if isinstance(i, Mapping)] if isinstance(output, list) else []
    return any(i.get("type") in ("function_call", "mcp_approval_request") for i in items) or (
        bool(items) and items[-1].get("type") == "mcp_call")
