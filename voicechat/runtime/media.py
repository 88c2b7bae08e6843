"""Media: mic audio to the link, model audio to the speaker, and what the speaker really did.

Three parts, one job each:

* :class:`MicPump` moves mic frames (a device or ``--mic FILE``) to the link while the core keeps
  the mic open, tells the core how much audio went out (``MicAudio``, the barge-in evidence) and
  feeds the level meter the UI polls. Where the link batches audio (the WebSocket's 100 ms
  appends) it takes the frames of one append in one wake-up (:meth:`MicPump.per_wakeup`);
* :class:`RtcGate` decides which incoming audio reaches the :class:`PlaybackBuffer`: never any
  of an answer that was cut (the core remembers which: a late delta, the jitter buffer's
  backlog); WebRTC's RTP stream never stops and carries no item id, so outside the server's
  "playing" window only audible frames count, and right after a flush none do;
* :class:`PlaybackMonitor` polls the buffer (the audio thread never calls into the loop) and
  reports real progress to the core: ``PlaybackStarted``/``Progress``/``Drained``, which is what
  makes ``conversation.item.truncate`` honest and reopens the mic after an answer. It polls only
  while something plays; in between it waits for the next push.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voicechat.audio.files import FRAME, PersonLike, WavFileSource
from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import MicSource
from voicechat.core import (
    MicAudio,
    MicReason,
    PlaybackDrained,
    PlaybackProgress,
    PlaybackStarted,
)
from voicechat.runtime.driver import Driver
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.link import Link

MIC_REPORT_MS = 100.0
#: While the assistant plays, a barge-in may be pending on mic audio (the user guard counts it):
#: every frame is reported then, so the confirmation is not up to 80 ms late.
MIC_REPORT_PLAYING_MS = 20.0
MONITOR_S = 0.05
PROGRESS_EVERY_S = 0.1
SILENT_PEAK = 16
#: why a mic may be shut that makes a file mic wait (see MicPump._file_waits)
FILE_WAITS_FOR = frozenset({MicReason.PLAYBACK, MicReason.USER, MicReason.PTT_IDLE})
RTC_DISCARD_S = 0.2  # after a flush, drop RTP audio this long (the jitter buffer's backlog)


class MicPump:
    """Mic frames to the link while the core keeps the mic open."""

    def __init__(
        self, source: MicSource, driver: Driver, link: Link, events: EventFanout,
        meter: LevelMeter,
    ) -> None:
        self.source = source
        self._driver = driver
        self._link = link
        self._events = events
        self._meter = meter
        self._unreported_ms = 0.0
        self.ended = False
        #: every captured frame, in order (the local barge-in detector, runtime/bargein.py)
        self.on_frame: Callable[[Int16Array], None] | None = None
        if isinstance(source, WavFileSource):
            source.person = PersonLike(waits=self._file_waits,
                                       hears_speech=self._server_hears_speech,
                                       on_hold=self._file_held)

    # --- a file mic as a person (audio/files.py: PersonLike) -----------------------------------

    def _file_waits(self) -> bool:
        """Muted for playback (half duplex) or by the user: a person would not be heard, so
        the file waits. Without barge-in the mic will be muted once the answer plays, so the
        file waits from the moment a response is under way: a next question begun in the gap
        before the answer's first sound would be cut off by that mute and heard as a fragment
        (the README's two questions 0.5 s apart: "now tell me a joke" became "the op").
        Push-to-talk's closed mic is a wait too (issue 55, item 3): the file is what the person
        says into the mic while the talk key is down, so it holds until the key is pressed and
        streams while the mic is open (it used to play out unheard before any key, and the key
        then sent "too short: 0 ms"). ``--no-ui`` has no talk key, so there the pair is refused
        before anything starts (``commands/preflight.py``: ``check_file_mic_mode``)."""
        view = self._driver.view
        if not view.mic_open:
            return view.mic_reason in FILE_WAITS_FOR
        return not view.barge_in and (view.response_active or view.playing)

    def _server_hears_speech(self) -> bool:
        """The server's VAD has a turn open (``speech_started`` without ``speech_stopped``)."""
        segments = self._driver.view.vad_segments
        return bool(segments) and segments[-1].ended_at is None

    def _file_held(self, holding: bool, at_s: float) -> None:
        reason = self._driver.view.mic_reason
        event: dict[str, object] = {"type": "local.mic.held" if holding else "local.mic.resumed",
                                    "at_s": round(at_s, 2)}
        if holding and reason is not None:
            event["reason"] = reason.value
        self._events.local(event)

    async def run(self) -> None:
        from voicechat.audio.devices import AudioUnavailable

        source = self.source
        try:
            async for frame in source.frames():
                self._meter.update(frame)
                if self.on_frame is not None:
                    self.on_frame(frame)
                now = self._driver.media_now()
                if now.mic_open and self._link.send_mic(frame):
                    self._unreported_ms += FRAME * 1000 / RATE
                    every = MIC_REPORT_PLAYING_MS if now.playing else MIC_REPORT_MS
                    if self._unreported_ms >= every:
                        ms, self._unreported_ms = self._unreported_ms, 0.0
                        self._driver.handle(MicAudio(ms))
                source.frames_per_wakeup = self.per_wakeup()
        except AudioUnavailable as exc:
            self._events.notice("error", f"microphone stopped: {exc}")
        self.ended = True
        self._meter.level = 0.0
        self._events.local({"type": "local.mic.ended"})

    def per_wakeup(self) -> int:
        """Frames the mic may hand over per wake-up from here: as many as the link takes before
        audio next goes on the wire, so an append leaves on the tick its last frame is captured,
        as it did frame by frame (a wake-up per frame cost ~1 % of a core on a 2-core VM).

        Frame by frame (1) whenever timing finer than the wire's matters or the frames would not
        be sent: the mic shut (frames captured while shut must not wait into a reopened mic), a
        response under way or playing (barge-in evidence is counted per frame then), or WebRTC
        (every frame is a packet). While batching, the level meter is fed in bursts of up to
        100 ms: the UI reads it at 20 Hz while it moves, so its bar steps at 10 Hz then.
        """
        now = self._driver.media_now()
        if not now.mic_open or now.playing or now.response_active:
            return 1
        return self._link.mic_frames_until_send()

    def drop_ready(self) -> None:
        """The mic was muted: frames captured before it and not yet taken are not sent."""
        self.source.drop_ready()


class RtcGate:
    """Which incoming model audio is the assistant's, and under which item it plays."""

    def __init__(
        self, driver: Driver, playback: PlaybackBuffer, clock: Callable[[], float]
    ) -> None:
        self._driver = driver
        self._playback = playback
        self._clock = clock
        self._discard_until = 0.0

    def take(self, pcm: Int16Array, item_id: str | None) -> None:
        """Audio from the transport: none of a cut answer; tagged (WebSocket) plays as is;
        untagged RTP is gated."""
        if self._driver.audio_cut(item_id):
            return
        if item_id is None:
            view = self._driver.view
            # Between output_audio_buffer.started and .stopped every frame counts (pauses
            # included); outside it only audible frames (the jitter buffer's tail) do, and none
            # for a moment after a flush.
            if not view.server_playing and (
                self._clock() < self._discard_until
                or pcm.size == 0
                or int(np.abs(pcm).max()) <= SILENT_PEAK
            ):
                return
            item_id = view.speaker_item
        self._playback.push(pcm, item_id)

    def flush(self) -> int:
        """Drop what waits to be played; what aiortc's jitter buffer still holds of the cut
        answer must not play either. Returns the samples dropped."""
        dropped = self._playback.flush()
        self._discard_until = self._clock() + RTC_DISCARD_S
        return dropped


@dataclass
class _Seen:
    """What the speaker side last did, for change detection."""

    playing: bool = False
    last_progress: float = 0.0
    last_played_ms: int = -1


class PlaybackMonitor:
    """Polls the playback buffer and reports the speaker's real progress to the core."""

    def __init__(
        self, playback: PlaybackBuffer, driver: Driver, events: EventFanout,
        clock: Callable[[], float],
    ) -> None:
        self._playback = playback
        self._driver = driver
        self._events = events
        self._clock = clock
        self._seen = _Seen()

    async def run(self) -> None:
        """Poll every :data:`MONITOR_S` while the speaker has something; otherwise wait for
        audio (no wake-ups while nothing plays: after the drain is reported nothing can change
        until the next push)."""
        while True:
            await self._playback.wait_for_audio()
            self.poll()  # started: at once, not up to MONITOR_S later
            while self._seen.playing:
                await asyncio.sleep(MONITOR_S)
                self.poll()

    def poll(self) -> None:
        snap = self._playback.snapshot()
        now = self._clock()
        seen = self._seen
        if snap.playing and not seen.playing:
            seen.playing = True
            self._events.local({"type": "local.playback.started", "item_id": snap.item_id})
            self._driver.handle(PlaybackStarted(snap.item_id), at=now)
        if snap.item_id is not None and snap.played_ms != seen.last_played_ms and (
            now - seen.last_progress >= PROGRESS_EVERY_S or not snap.playing
        ):
            seen.last_progress = now
            seen.last_played_ms = snap.played_ms
            self._driver.handle(PlaybackProgress(snap.item_id, snap.played_ms), at=now)
        if seen.playing and not snap.playing:
            seen.playing = False
            self._events.local({"type": "local.playback.drained", "item_id": snap.item_id})
            self._driver.handle(PlaybackDrained(), at=now)
