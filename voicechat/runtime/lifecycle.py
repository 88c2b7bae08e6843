"""What both API families' runtimes share: the parts every conversation has, the order they
start and stop in, and what the UI reads of them.

:class:`~voicechat.runtime.Runtime` (Realtime) and
:class:`~voicechat.runtime.live.LiveRuntime` (GPT-Live) differ in their core, driver, link,
media and tools; around those they own the same parts — the event fan-out and the ``--record``
recorder, the embedded server, the mic and speaker with their fallbacks, the level meter, echo
cancellation — and start and stop them in the same order. :class:`RuntimeLifecycle` is that
order, with a hook where a family does its own thing (how it connects, which tasks it runs,
what it does first when stopping).

Start: recorder, server, devices (a record that already failed stops the start before
connecting), speaker, echo cancellation, tools, connection; any failure stops what started and
raises. Stop: every step runs even if an earlier one fails, none may hang the exit, and the
recorder closes and ``finished`` is set whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import PlaybackBuffer
from voicechat.audio.ports import AudioPorts, MicSource, SpeakerSink
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.recorder import Recorder, RecordError, kept_text
from voicechat.runtime.audio_setup import open_mic, open_speaker, start_speaker
from voicechat.runtime.echo import EchoControl
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.local_server import EmbeddedServer, LocalServerLike
from voicechat.runtime.tracing import SessionTracing
from voicechat.ui.handle import AecStatus, ConnectionInfo

STOP_TIMEOUT_S = 5.0


class _Link(Protocol):
    @property
    def connection(self) -> ConnectionInfo: ...

    async def close(self) -> None: ...


class _Driver(Protocol):
    def close(self) -> None: ...


DriverT = TypeVar("DriverT", bound=_Driver)
LinkT = TypeVar("LinkT", bound=_Link)


class RuntimeLifecycle(ABC, Generic[DriverT, LinkT]):
    """The base of both runtimes (see the module docstring); a family sets ``driver``,
    ``link`` and ``_echo`` in its constructor and fills in every hook."""

    driver: DriverT
    link: LinkT
    _echo: EchoControl

    def __init__(self, settings: Settings, *, local_server: LocalServerLike | None,
                 clock: Callable[[], float], playback: PlaybackBuffer) -> None:
        self.settings = settings
        self.events = EventFanout(clock)
        self.playback = playback
        self.mic: MicSource | None = None
        self.speaker: SpeakerSink | None = None
        #: a mic and speaker brought by the caller (``voicechat test``), set before start
        self.audio_ports: AudioPorts | None = None
        self._server = EmbeddedServer(settings, local_server)
        self._recorder: Recorder | None = None
        self._tracing = SessionTracing(settings, self.events, api=settings.api)
        self._meter = LevelMeter()
        self._tasks: list[asyncio.Task[Any]] = []
        self._stopping = False
        self.finished = asyncio.Event()
        self.exit_code = 0
        self.record_error: str | None = None  # --record failed mid-run: why (exit code 1)

    # --- what the UI reads -----------------------------------------------------------------------

    @property
    def connection(self) -> ConnectionInfo:
        return self.link.connection

    @property
    def input_level(self) -> float:
        return self._meter.level

    @property
    def aec(self) -> AecStatus:
        return self._echo.status

    def subscribe(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]:
        return self.events.subscribe(callback)

    def notice(self, level: str, message: str) -> None:
        """Put a notice into the event stream (and so the log and the UI)."""
        self.events.notice(level, message)

    # --- start and stop --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the embedded server (local), audio, tools and the connection.

        Raises :class:`AuthError` / :class:`ConnectError` / audio file errors with clear text;
        a missing sound device is not fatal (a notice, and the conversation runs without it).
        """
        if self.settings.record is not None:
            # RecordError (an OSError) names the path, the reason and the fix
            self._recorder = Recorder.open(self.settings.record, on_error=self._record_failed)
            self.subscribe(self._recorder.write)
            if self._recorder.kept is not None:  # said in both faces, and in the new log
                self.events.notice("info", kept_text(self._recorder.path, self._recorder.kept))
        for note in self.settings.notes:  # what resolving the settings decided (said once)
            self.events.notice("warning", note)
        self._tracing.start()  # OpenTelemetry, when asked for (never raises)
        try:
            await self._server.start(self.events)
            self._open_audio()
            if self.record_error is not None:  # the first records failed: fail before connecting
                raise RecordError(self.record_error)
            assert self.speaker is not None
            self.speaker = await start_speaker(self.speaker, self.playback, self.events)
            self._start_echo_control()
            await self._start_tools()
            await self._connect()
        except BaseException:
            await self.stop()
            raise
        self._start_tasks()

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        try:
            await self._stopping_first()
            self.driver.close()
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._tasks.clear()
            await self._close_tools()
            if self.mic is not None:
                self.mic.close()
            # every step runs even if an earlier one fails, and none may hang the exit
            await self.link.close()
            if self.speaker is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.speaker.stop(), STOP_TIMEOUT_S)
            await self._server.stop()
        finally:
            with contextlib.suppress(Exception):
                await self._tracing.stop()  # the trace's end, flushed within 2 s
            if self._recorder is not None:
                self._recorder.close()
            self.finished.set()

    def _spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> None:
        """Run one of the conversation's tasks (cancelled and awaited by :meth:`stop`)."""
        self._tasks.append(asyncio.get_running_loop().create_task(coroutine, name=name))

    # --- the family's hooks ----------------------------------------------------------------------

    @abstractmethod
    def _mic_opened(self) -> None:
        """The mic is open (or ``None``: none asked for, or no device), before the speaker."""

    @abstractmethod
    def _start_echo_control(self) -> None:
        """Echo cancellation between the opened devices, and what the family says of it."""

    @abstractmethod
    async def _start_tools(self) -> None:
        """Start the configured tool sources (before connecting: the session declares them)."""

    @abstractmethod
    async def _connect(self) -> None:
        """The first connection; raises :class:`AuthError` / :class:`ConnectError`."""

    @abstractmethod
    def _start_tasks(self) -> None:
        """The conversation's tasks, once it started (:meth:`_spawn`)."""

    @abstractmethod
    async def _stopping_first(self) -> None:
        """What stopping does before the driver closes."""

    @abstractmethod
    async def _close_tools(self) -> None:
        """Stop the running tools and the tool sources."""

    # --- parts -----------------------------------------------------------------------------------

    def _open_audio(self) -> None:
        ports = self.audio_ports
        self.mic = open_mic(self.settings, self.events) if ports is None else ports.mic
        self._mic_opened()
        # echo cancellation can run only with a mic device (EchoControl decides once both open)
        for_aec = (self.settings.aec is not False and self.mic is not None
                   and self.mic.kind == "device")
        self.speaker = (open_speaker(self.settings, self.playback, self.events, for_aec=for_aec)
                        if ports is None else ports.speaker(self.playback))
        if self.mic is not None:
            self.events.local({"type": "local.mic.source", "source": self.mic.describe()})
        # whether the speaker's sound can reach the mic at all: only from a sound device to a
        # sound device (the doctor then never reads a cut as echo: a file or scripted mic, a
        # file or virtual speaker)
        echo_path = (self.mic is not None and self.mic.kind == "device"
                     and self.speaker.kind == "device")
        self.events.local({"type": "local.speaker.sink", "sink": self.speaker.describe(),
                           "echo_path": echo_path})

    def _record_failed(self, message: str) -> None:
        """``--record`` stopped working: say so once, keep talking, and exit 1 at the end."""
        self.record_error = message
        self.exit_code = 1
        self.events.notice("error", message)
