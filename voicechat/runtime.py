"""The asyncio glue: transport events and user commands in, the session core's actions out.

:class:`Runtime` implements :class:`voicechat.runtime_api.ConversationHandle`. It owns no session
rules — those live in the sans-IO core — it only:

* feeds the core every server event, user command and local fact with the current time, carries
  out the actions it returns (send, mute/unmute the mic, flush playback, notices) and keeps one
  timer armed at the core's :meth:`next_deadline`;
* moves audio: mic frames (device or ``--mic FILE``) to the transport while the core keeps the mic
  open; model audio into the :class:`~voicechat.audio.playback.PlaybackBuffer`, whose real
  progress it reports back (``PlaybackStarted/Progress/Drained``) by polling — the audio thread
  never calls into the loop;
* publishes every event in, out and local as a :class:`LogRecord` (redacted, as the log stores
  it) to subscribers: the TUI, ``--no-ui`` printing and the JSONL recorder all see one stream;
* survives connection loss: the link state is shown, the connection retried with backoff, and
  the new server session is seeded with the transcript so far as text items, so nothing said
  (and transcribed) or typed is lost.

Decision: a reconnect starts a *new* core :class:`Session` (the old one describes a server
session that no longer exists: its item ids, active response and audio buffers are gone). The
transcript view rebuilds from the server's echo of the seeded items; typed messages sent while
disconnected are queued and replayed after the seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from voicechat.audio.files import FRAME, PacedSink, WavFileSource, file_sink, is_audio_file
from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import RATE, PlaybackBuffer
from voicechat.config import Settings
from voicechat.core import (
    CancelRequested,
    FlushPlayback,
    MicAudio,
    MuteMic,
    Notice,
    PlaybackDrained,
    PlaybackProgress,
    PlaybackStarted,
    Send,
    SendText,
    Session,
    SessionPolicy,
    SetBargeIn,
    SetMicAvailable,
    SetPttStyle,
    TalkPressed,
    TalkReleased,
    ToggleMute,
    TransportState,
    UnmuteMic,
)
from voicechat.eventlog.record import Direction, LogRecord
from voicechat.eventlog.recorder import Recorder, utc_timestamp
from voicechat.eventlog.redact import redact_event
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.frames import decode_server_frame
from voicechat.protocol.mapping import client_event_from_canonical
from voicechat.runtime_api import ConnectionInfo, Subscribers
from voicechat.transport.auth import AuthError, ConnectError, endpoint_for
from voicechat.transport.base import Int16Array, Transport, TransportCallbacks

MIC_REPORT_MS = 100.0
STOP_TIMEOUT_S = 5.0
MONITOR_S = 0.05
PROGRESS_EVERY_S = 0.1
SILENT_PEAK = 16
RTC_DISCARD_S = 0.2  # after a flush, drop RTP audio this long (the jitter buffer's backlog)
RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
QUIET_AFTER_MIC_END_S = 2.5
DROPPABLE_WHILE_DOWN = frozenset(
    {"input_audio_buffer.append", "input_audio_buffer.commit", "input_audio_buffer.clear",
     "response.cancel", "output_audio_buffer.clear", "conversation.item.truncate"}
)


@dataclass
class _Playback:
    """The loop's memory of what the speaker side last did (for change detection)."""

    playing: bool = False
    item_id: str | None = None
    last_progress: float = 0.0
    last_played_ms: int = -1


class Runtime:
    """One conversation: embedded server (if local), transport, audio, core, recorder."""

    def __init__(
        self,
        settings: Settings,
        *,
        local_server: Any = None,
        clock: Callable[[], float] = time.monotonic,
        on_rtp_handoff: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._t0 = clock()
        self._subscribers = Subscribers()
        self._subscriber_failures: list[str] = []  # subscribers dropped after raising
        self._external_server = local_server
        self._server: Any = local_server
        self._recorder: Recorder | None = None
        self.playback = PlaybackBuffer(on_handoff=on_rtp_handoff)
        self._meter = LevelMeter()
        self.mic: Any = None
        self.speaker: Any = None
        self.transport: Transport | None = None
        self.policy = SessionPolicy(
            dialect=Dialect(settings.dialect),
            transport="websocket" if settings.transport == "websocket" else "webrtc",
            mode=settings.mode,  # type: ignore[arg-type]
            barge_in=settings.barge_in,
            ptt_style=settings.ptt_style,  # type: ignore[arg-type]
            azure=settings.is_azure,
            voice=settings.voice,
            instructions=settings.instructions,
            session_overrides=settings.session_overrides,
        )
        self.session = Session(self.policy)
        self._connection = ConnectionInfo(
            transport=settings.transport, server=settings.describe_server(), model=settings.model,
            dialect=settings.dialect, state="new",
        )
        self._connected = False
        self._mic_open = settings.mode != "ptt"
        self._mic_available = True
        self._mic_logged: str | None = None  # last mic state logged: "live" or a mute reason
        self._mic_ms_unreported = 0.0
        self._tasks: list[asyncio.Task[Any]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._armed: float | None = None
        self._pb = _Playback()
        self._assistant_item: str | None = None
        self._rtc_speaking = False
        self._rtc_discard_until = 0.0
        self._responses_active: set[str] = set()
        self._queued_sends: list[dict[str, Any]] = []
        self._stopping = False
        self._reconnecting = False
        self._last_server_event = clock()
        self.completed_responses = 0
        self.reconnects = 0
        self.finished = asyncio.Event()
        self.exit_code = 0
        self.mic_ended = False

    # --- ConversationHandle ------------------------------------------------------------------

    @property
    def connection(self) -> ConnectionInfo:
        return self._connection

    @property
    def view(self) -> Any:
        return self.session.view

    @property
    def input_level(self) -> float:
        return self._meter.level

    def subscribe(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]:
        return self._subscribers.add(callback)

    async def start(self) -> None:
        """Start the embedded server (local), audio and the first connection.

        Raises :class:`AuthError` / :class:`ConnectError` / audio file errors with clear text;
        a missing sound device is not fatal (a notice, and the conversation runs without it).
        """
        if self.settings.record is not None:
            self._recorder = Recorder.open(self.settings.record)
            self.subscribe(self._recorder.write)
        try:
            await self._start_server()
            self._open_audio()
            await self._start_speaker()
            await self._connect(seed=False)
        except BaseException:
            await self.stop()
            raise
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._monitor(), name="runtime-monitor"))
        if self.mic is not None:
            self._tasks.append(loop.create_task(self._pump_mic(), name="runtime-mic"))

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        try:
            if self._timer is not None:
                self._timer.cancel()
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._tasks.clear()
            if self.mic is not None:
                self.mic.close()
            # every step runs even if an earlier one fails, and none may hang the exit
            steps: list[Any] = []
            if self.transport is not None:
                steps.append(self.transport.close())
            if self.speaker is not None:
                steps.append(self.speaker.stop())
            for step in steps:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(step, STOP_TIMEOUT_S)
            if self.transport is not None:
                self._set_state("closed", "stopped")
            if self._server is not None and self._external_server is None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._server.stop(), STOP_TIMEOUT_S)
        finally:
            if self._recorder is not None:
                self._recorder.close()
            self.finished.set()

    def talk_pressed(self) -> None:
        self._user("talk_pressed", TalkPressed())

    def talk_released(self) -> None:
        self._user("talk_released", TalkReleased())

    def set_ptt_style(self, style: str) -> None:
        """Toggle or release (hold) push-to-talk; the policy keeps it for a reconnect's session."""
        if style == self.policy.ptt_style:
            return
        self._user(f"ptt_style_{style}", SetPttStyle(style))  # the core refuses a bad style
        if style in ("toggle", "release"):
            self.policy = replace(self.policy, ptt_style=style)  # type: ignore[arg-type]

    def toggle_mute(self) -> None:
        self._user("toggle_mute", ToggleMute())

    def toggle_barge_in(self) -> None:
        self._user("toggle_barge_in", SetBargeIn(not self.session.view.barge_in))

    def cancel(self) -> None:
        self._user("cancel", CancelRequested())

    def send_text(self, text: str) -> None:
        if text.strip():
            self._user("send_text", SendText(text))

    # --- setup -------------------------------------------------------------------------------

    async def _start_server(self) -> None:
        if not self.settings.is_local or self._server is not None:
            return
        from voicechat.server.app import LocalServer, ServerConfig

        config = ServerConfig(
            host="127.0.0.1", port=0, voice=self.settings.local_voice,
            responder=self.settings.local_responder, asr_phrases=self.settings.local_asr_phrases,
        )
        self._server = LocalServer(config)
        await self._server.start()
        self._local_notice(
            "info", f"embedded local server on {self._server.base_url} (offline voice pipeline)"
        )

    def _open_audio(self) -> None:
        from voicechat.audio.devices import AudioUnavailable, DeviceSink, DeviceSource

        mic = self.settings.mic
        if mic is not None and is_audio_file(mic):
            self.mic = WavFileSource(Path(mic))
        elif mic != "none":
            try:
                source = DeviceSource(mic)
                source.open()  # fail now, not later inside the pump
                self.mic = source
            except AudioUnavailable as exc:
                self._local_notice("error", f"no microphone: {exc}. Typed messages still work.")
                self._feed_local_mic_unavailable()
        else:  # --mic none: text only, by choice
            self._feed_local_mic_unavailable()
        speaker = self.settings.speaker
        if speaker is not None and speaker.lower() == "none":
            self.speaker = PacedSink(self.playback)
        elif speaker is not None and is_audio_file(speaker, output=True):
            self.speaker = file_sink(self.playback, Path(speaker))
        else:
            try:
                self.speaker = DeviceSink(self.playback, speaker)
            except AudioUnavailable as exc:
                self._local_notice("error", f"no speaker: {exc}. Audio is discarded.")
                self.speaker = PacedSink(self.playback)
        if self.mic is not None:
            self._emit("local", {"type": "local.mic.source", "source": self.mic.describe()})
        self._emit("local", {"type": "local.speaker.sink", "sink": self.speaker.describe()})

    async def _start_speaker(self) -> None:
        from voicechat.audio.devices import AudioUnavailable

        try:
            await self.speaker.start()
        except AudioUnavailable as exc:
            self._local_notice("error", f"no speaker: {exc}. Audio is discarded.")
            self.speaker = PacedSink(self.playback)
            await self.speaker.start()

    def _feed_local_mic_unavailable(self) -> None:
        self._mic_available = False
        self._apply(self.session.handle(SetMicAvailable(False), self._now()))

    def _make_transport(self) -> Transport:
        base = self._server.base_url if self._server is not None else None
        endpoint = endpoint_for(self.settings, base)
        callbacks = TransportCallbacks(
            on_event=self._on_wire, on_audio=self._on_audio, on_state=self._on_state,
            on_notice=self._local_notice,
        )
        if self.settings.transport == "websocket":
            from voicechat.transport.websocket import WebSocketTransport

            return WebSocketTransport(endpoint, callbacks)
        from voicechat.transport.webrtc import WebRtcTransport

        loopback = endpoint.base_url.startswith(("http://127.0.0.1", "http://localhost"))
        return WebRtcTransport(endpoint, callbacks, loopback=loopback)

    async def _connect(self, *, seed: bool) -> None:
        seed_entries = self._transcript_for_seed() if seed else []
        if seed:
            old = self.session.view
            self.session = Session(self.policy)
            self._carry_over(old)
            self._mic_open = self.settings.mode != "ptt"
            self._responses_active.clear()
            self._rtc_speaking = False
            self._assistant_item = None
        transport = self._make_transport()
        self.transport = transport
        await transport.connect()
        self._connected = True
        self._apply(self.session.start(self._now()))
        mic_state = getattr(self.session.view, "mic", None)
        self._mic_open = str(getattr(mic_state, "value", mic_state)) == "live"
        if seed_entries:
            for role, text in seed_entries:
                self._send(self._seed_item(role, text))
            self._local_notice(
                "info", f"reconnected: new session seeded with {len(seed_entries)} earlier "
                "message(s) as text"
            )
        queued, self._queued_sends = self._queued_sends, []
        for event in queued:
            self._send(event)

    def _carry_over(self, old: Any) -> None:
        """What the user set in the lost session holds in the new one: barge-in, mute, no mic."""
        now = self._now()
        if not self._mic_available:
            self.session.handle(SetMicAvailable(False), now)
        if old.barge_in != self.policy.barge_in:
            self.session.handle(SetBargeIn(old.barge_in), now)
        if str(getattr(old.mic_reason, "value", old.mic_reason)) == "user":
            self.session.handle(ToggleMute(), now)

    def _transcript_for_seed(self) -> list[tuple[str, str]]:
        entries = []
        for entry in self.session.view.entries:
            text = (entry.text or "").strip()
            if text and entry.role in ("user", "assistant"):
                entries.append((entry.role, text))
        return entries

    def _seed_item(self, role: str, text: str) -> dict[str, Any]:
        part = "input_text" if role == "user" else "output_text"
        event = {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": role, "content": [{"type": part, "text": text}]},
        }
        return client_event_from_canonical(event, Dialect(self.settings.dialect))

    # --- core plumbing -----------------------------------------------------------------------

    def _now(self) -> float:
        return self._clock()

    def _user(self, action: str, inp: Any) -> None:
        self._emit("local", {"type": "local.key", "action": action})
        self._apply(self.session.handle(inp, self._now()))

    def _apply(self, actions: list[Any]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self._send(action.event)
            elif isinstance(action, MuteMic):
                if self._mic_open:
                    self._mic_open = False
                    drop = getattr(self.transport, "drop_pending_mic", None)
                    if drop is not None:
                        drop()
                reason = str(getattr(action.reason, "value", action.reason))
                if self._mic_logged != reason:
                    self._mic_logged = reason
                    self._emit("local", {"type": "local.mic.muted", "reason": reason})
            elif isinstance(action, UnmuteMic):
                self._mic_open = True
                if self._mic_logged != "live":
                    self._mic_logged = "live"
                    self._emit("local", {"type": "local.mic.unmuted"})
            elif isinstance(action, FlushPlayback):
                dropped = self.playback.flush()
                # what aiortc's jitter buffer still holds of the cut answer must not play
                self._rtc_discard_until = self._now() + RTC_DISCARD_S
                self._emit("local", {"type": "local.playback.flushed",
                                     "dropped_ms": dropped * 1000 // RATE})
            elif isinstance(action, Notice):
                self._emit("local", {"type": "local.notice", "level": action.level,
                                     "message": action.message})
        self._arm_timer()

    def _send(self, event: dict[str, Any]) -> None:
        if not self._connected or self.transport is None:
            if event.get("type") not in DROPPABLE_WHILE_DOWN:
                self._queued_sends.append(event)
            return
        try:
            self.transport.send_event(event)
        except ConnectError as exc:
            self._local_notice("warning", f"not sent ({event.get('type')}): {exc}")
            return
        self._emit("out", event)

    def _arm_timer(self) -> None:
        deadline = self.session.next_deadline()
        if deadline == self._armed:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed = deadline
        if deadline is not None and not self._stopping:
            delay = max(0.0, deadline - self._now())
            self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._armed = None
        self._apply(self.session.handle_timer(self._now()))

    # --- records -----------------------------------------------------------------------------

    def _emit(self, direction: Direction, event: dict[str, Any]) -> None:
        record = LogRecord(
            t=self._clock() - self._t0, ts=utc_timestamp(), dir=direction,
            event=redact_event(event),
        )
        # One failing subscriber (a closed stdout, a full disk) must not take the conversation
        # down with it: it is dropped, and the others keep receiving.
        for callback in list(self._subscribers.callbacks):
            try:
                callback(record)
            except Exception as exc:
                self._subscribers.callbacks.remove(callback)
                self._subscriber_failures.append(f"{callback!r}: {exc!r}")

    def _local_notice(self, level: str, message: str) -> None:
        self._emit("local", {"type": "local.notice", "level": level, "message": message})

    def _set_state(self, state: str, detail: str = "") -> None:
        info = self._connection
        self._connection = ConnectionInfo(
            transport=info.transport, server=info.server, model=info.model, dialect=info.dialect,
            state=state, detail=detail,
        )
        event: dict[str, Any] = {"type": "local.transport.state", "state": state}
        if detail:
            event["detail"] = detail
        self._emit("local", event)

    # --- transport callbacks -----------------------------------------------------------------

    def _on_wire(self, text: str) -> None:
        now = self._now()
        self._last_server_event = now
        frame = decode_server_frame(text, Dialect(self.settings.dialect))
        # Log what arrived (or what it looked like), then hand the core the canonical event.
        self._emit("in", frame.wire if frame.wire is not None else {
            "type": "local.unparsed", "text": text[:200]})
        if frame.canonical is not None:
            self._observe(frame.canonical)
        self._apply(self.session.receive_frame(frame, now))

    def _observe(self, event: dict[str, Any]) -> None:
        """The few facts the runtime itself needs: turn count, which item is speaking."""
        kind = event.get("type")
        if kind == "response.created":
            response_id = (event.get("response") or {}).get("id")
            if response_id:
                self._responses_active.add(str(response_id))
        elif kind == "response.done":
            response = event.get("response") or {}
            self._responses_active.discard(str(response.get("id")))
            if response.get("status") == "completed":
                self.completed_responses += 1
        elif kind == "response.output_item.added":
            item = event.get("item") or {}
            if item.get("type") == "message":
                self._assistant_item = item.get("id")
        elif kind == "output_audio_buffer.started":
            self._rtc_speaking = True
        elif kind in ("output_audio_buffer.stopped", "output_audio_buffer.cleared"):
            self._rtc_speaking = False

    def _on_audio(self, pcm: Int16Array, item_id: str | None) -> None:
        if item_id is None and self._now() < self._rtc_discard_until and not self._rtc_speaking:
            return
        if item_id is None:  # WebRTC: the RTP stream never stops; keep only the assistant's audio
            # Between output_audio_buffer.started and .stopped every frame counts (pauses
            # included); outside it only audible frames (the jitter buffer's tail) do.
            if not self._rtc_speaking and (pcm.size == 0 or int(np.abs(pcm).max()) <= SILENT_PEAK):
                return
            item_id = self._assistant_item
        self.playback.push(pcm, item_id)

    def _on_state(self, state: str, detail: str) -> None:
        self._set_state(state, detail)
        self._apply(self.session.handle(TransportState(state), self._now()))
        if state in ("closed", "failed") and not self._stopping and self._connected:
            self._connected = False
            self.playback.flush()
            if not self._reconnecting:
                self._reconnecting = True
                self._tasks.append(
                    asyncio.get_running_loop().create_task(self._reconnect(detail))
                )

    async def _reconnect(self, why: str) -> None:
        try:
            old = self.transport
            if old is not None:
                await old.close()
            for attempt, delay in enumerate(RECONNECT_DELAYS_S, start=1):
                self._set_state("reconnecting", f"{why}; attempt {attempt} in {delay:g} s")
                await asyncio.sleep(delay)
                try:
                    await self._connect(seed=True)
                except (ConnectError, AuthError, OSError) as exc:
                    self._local_notice("warning", f"reconnect attempt {attempt} failed: {exc}")
                    continue
                self.reconnects += 1
                return
            self._set_state("failed", f"gave up after {len(RECONNECT_DELAYS_S)} attempts")
            self._local_notice("error", "the connection is lost and could not be restored")
            self.exit_code = 1
            self.finished.set()
        finally:
            self._reconnecting = False

    # --- loops -------------------------------------------------------------------------------

    async def _pump_mic(self) -> None:
        assert self.mic is not None
        from voicechat.audio.devices import AudioUnavailable

        try:
            async for frame in self.mic.frames():
                self._meter.update(frame)
                if not (self._mic_open and self._connected and self.transport is not None):
                    continue
                try:
                    event = self.transport.send_mic(frame)
                except ConnectError:
                    continue
                if event is not None:
                    self._emit("out", event)
                self._mic_ms_unreported += FRAME * 1000 / RATE
                if self._mic_ms_unreported >= MIC_REPORT_MS:
                    ms, self._mic_ms_unreported = self._mic_ms_unreported, 0.0
                    self._apply(self.session.handle(MicAudio(ms), self._now()))
        except AudioUnavailable as exc:
            self._local_notice("error", f"microphone stopped: {exc}")
        self.mic_ended = True
        self._meter.level = 0.0
        self._emit("local", {"type": "local.mic.ended"})

    async def _monitor(self) -> None:
        """Poll the speaker side and the finish conditions (never per audio frame)."""
        while True:
            await asyncio.sleep(MONITOR_S)
            self._poll_playback()
            self._check_finished()

    def _poll_playback(self) -> None:
        snap = self.playback.snapshot()
        now = self._now()
        pb = self._pb
        if snap.playing and not pb.playing:
            pb.playing = True
            self._emit("local", {"type": "local.playback.started", "item_id": snap.item_id})
            self._apply(self.session.handle(PlaybackStarted(snap.item_id), now))
        if snap.item_id is not None and snap.played_ms != pb.last_played_ms and (
            now - pb.last_progress >= PROGRESS_EVERY_S or not snap.playing
        ):
            pb.last_progress = now
            pb.last_played_ms = snap.played_ms
            self._apply(self.session.handle(PlaybackProgress(snap.item_id, snap.played_ms), now))
        if pb.playing and not snap.playing:
            pb.playing = False
            self._emit("local", {"type": "local.playback.drained", "item_id": snap.item_id})
            self._apply(self.session.handle(PlaybackDrained(), now))

    def _idle(self) -> bool:
        view = self.session.view
        return (
            not self._responses_active
            and not getattr(view, "response_active", False)
            and not self._pb.playing
            and not self._rtc_speaking
            and self._mic_open_or_not_waiting()
        )

    def _mic_open_or_not_waiting(self) -> bool:
        """True once the core has reopened the mic after playback (or it is shut for another
        reason, e.g. push-to-talk or the user's mute)."""
        reason = getattr(self.session.view, "mic_reason", None)
        return self._mic_open or getattr(reason, "value", str(reason)).lower() != "playback"

    def _check_finished(self) -> None:
        if self.finished.is_set():
            return
        turns = self.settings.turns
        if turns is not None and self.completed_responses >= turns and self._idle():
            self._local_notice("info", f"{self.completed_responses} response(s) completed")
            self.finished.set()
        elif (
            self.mic_ended
            and isinstance(self.mic, WavFileSource)
            and self._idle()
            and self._now() - self._last_server_event > QUIET_AFTER_MIC_END_S
        ):
            if turns is not None and self.completed_responses < turns:
                self._local_notice(
                    "error", f"the mic file ended after {self.completed_responses} of {turns} "
                    "completed response(s)"
                )
                self.exit_code = 1
            else:
                self._local_notice("info", "end of the mic file and of the reply")
            self.finished.set()
