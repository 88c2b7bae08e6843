"""``--record FILE`` for observed sessions: one event-log file per session, written off the relay.

The event log's contract (docs/architecture.md, "The event log") has no session field: one file
is one session, which is what ``doctor`` and ``replay`` read. So the first session observed is
recorded to ``FILE`` itself and each later one to ``FILE``'s stem + ``-`` + session id + suffix
(``app.jsonl``, ``app-ws-2.jsonl``, ``app-call-rtc_123.jsonl``); the proxy's own lines (REST
calls, refusals) are a side session that never takes ``FILE`` (``app-proxy.jsonl``).

The relay only appends to a bounded in-memory queue (:meth:`SessionRecordings.offer` never
blocks); a writer task drains it in a worker thread, so a slow disk cannot slow the app. When the
queue is full, records are dropped and counted; the count is written into the affected session's
file as a ``local.notice`` and reported through ``on_notice`` (the commands print it and put it
in the closing summary).
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable
from pathlib import Path

from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.recorder import Recorder, RecordError, kept_text, utc_timestamp
from voicechat.observe.feed import ObservedEvent, ObservedItem, ObserverFeed, SessionClosed

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

_Job = tuple[str, LogRecord | None]  # (session, record) or (session, None) = session ended


def session_path(base: Path, session: str, *, first: bool) -> Path:
    """Where ``session`` is recorded: ``base`` for the first session, else a suffixed sibling."""
    if first:
        return base
    return base.with_name(f"{base.stem}-{_UNSAFE.sub('-', session).strip('-')}{base.suffix}")


class SessionRecordings:
    """Per-session recorders fed through one bounded queue and one writer task."""

    def __init__(self, base: Path, *, maxsize: int = 50_000,
                 on_notice: Callable[[str], None] | None = None,
                 side_sessions: frozenset[str] = frozenset()) -> None:
        self.base = base
        self._side = side_sessions  # never the base file (the proxy's own lines)
        self._waiting_notices: list[str] = []  # filled in the writer thread, said on the loop
        self._first: Recorder | None = Recorder.open(base, on_error=self._note)  # fail early
        #: where an earlier log at ``base`` was kept (the command says so at start)
        self.kept: Path | None = self._first.kept
        self._recorders: dict[str, Recorder] = {}
        self._queue: deque[_Job] = deque()
        self._maxsize = maxsize
        self._ready = asyncio.Event()
        self._on_notice = on_notice
        self._pending_drops: dict[str, int] = {}
        self.dropped = 0
        self.paths: list[Path] = []
        self._closing = False

    def offer(self, session: str, record: LogRecord | None) -> None:
        """Queue a record (``None``: the session ended); drops and counts when full."""
        if self._closing and record is not None:
            return
        if record is not None and len(self._queue) >= self._maxsize:
            self.dropped += 1
            self._pending_drops[session] = self._pending_drops.get(session, 0) + 1
            return
        self._queue.append((session, record))
        self._ready.set()

    async def run(self) -> None:
        """Drain the queue until :meth:`aclose`; each batch is written in a worker thread."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            batch = list(self._queue)
            self._queue.clear()
            drops, self._pending_drops = self._pending_drops, {}
            if batch or drops:
                await asyncio.to_thread(self._write, batch, drops)
            notices, self._waiting_notices = self._waiting_notices, []
            for message in notices:
                if self._on_notice is not None:
                    self._on_notice(message)
            if self._closing and not self._queue:
                return

    async def aclose(self, runner: asyncio.Task[None] | None) -> None:
        """Write what is queued, then close every file."""
        self._closing = True
        self._ready.set()
        if runner is not None and not runner.done():
            await runner
        for recorder in self._recorders.values():
            recorder.close()
        if self._first is not None:
            self._first.close()

    def _write(self, batch: list[_Job], drops: dict[str, int]) -> None:
        for session, count in drops.items():
            recorder = self._recorder(session)
            if recorder is not None:
                message = (f"{count} event(s) of this session were dropped from the recording: "
                           "the disk fell behind the traffic")
                recorder.write(LogRecord(0.0, utc_timestamp(), "local",
                                         {"type": "local.notice", "level": "warning",
                                          "message": message}))
                self._note(f"{session}: {message}")
        for session, record in batch:
            if record is None:
                done = self._recorders.get(session)
                if done is not None:
                    done.close()
                continue
            recorder = self._recorder(session)
            if recorder is not None:
                recorder.write(record)

    def _recorder(self, session: str) -> Recorder | None:
        recorder = self._recorders.get(session)
        if recorder is not None:
            return None if recorder.closed and recorder.error else recorder
        if self._first is not None and session not in self._side:
            recorder, self._first = self._first, None
        else:
            path = session_path(self.base, session, first=False)
            try:
                recorder = Recorder.open(path, on_error=self._note)
            except RecordError as exc:
                self._note(str(exc))
                return None
            if recorder.kept is not None:
                self._note(kept_text(path, recorder.kept))
        self._recorders[session] = recorder
        self.paths.append(recorder.path)
        self._note(f"recording {session} to {recorder.path}")
        return recorder

    def _note(self, message: str) -> None:
        """Keep a message for the loop (this runs in the writer thread)."""
        self._waiting_notices.append(message)


class RecordingFeed(ObserverFeed):
    """The observer feed that also hands each event to the recordings, before any UI drop.

    The UI may fall behind and lose items (it is told how many); the recording must not lose
    them for that reason, so the tee happens here, at publish time, on the producer's side.
    """

    def __init__(self, recordings: SessionRecordings | None, maxsize: int = 10_000) -> None:
        super().__init__(maxsize)
        self.recordings = recordings

    def publish(self, item: ObservedItem) -> None:
        if self.recordings is not None:
            if isinstance(item, ObservedEvent):
                self.recordings.offer(item.session, item.record)
            elif isinstance(item, SessionClosed):
                self.recordings.offer(item.session, None)
        super().publish(item)
