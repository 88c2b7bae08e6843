"""Input audio of one session, as plain calls: the buffer, server VAD turns, commit and clear.

Sans-IO: the asyncio side (building a VAD off the loop, transcription tasks, the idle timer) is
:mod:`voicechat.server.input_driver`. This class decides what each step means for the protocol —
which events go out, which audio belongs to a user item, when a turn asks for a response — and
returns what the driver must do next (:class:`SpeechStarted`, :class:`Turn`), so the rules are
tested by feeding it VAD events (``tests/server/test_input_audio.py``).

Time is the input audio itself: stream milliseconds of the 16 kHz buffer, never a clock.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicechat.protocol import errors
from voicechat.protocol.errors import ProtocolError
from voicechat.rtc import dsp
from voicechat.server import sessions
from voicechat.server.conversation import Conversation
from voicechat.server.ids import new_id
from voicechat.server.input_buffer import InputBuffer

JSON = dict[str, Any]
Emit = Callable[[JSON], None]
#: The real server refuses to commit less than this much audio.
MIN_COMMIT_MS = 100


@dataclass(frozen=True)
class SpeechStarted:
    """VAD heard the user start; ``interrupt``: barge in on the assistant
    (``interrupt_response``)."""

    interrupt: bool


@dataclass(frozen=True)
class Turn:
    """A committed user turn: its item, its 16 kHz audio (to transcribe), and whether the
    session wants a response for it (server VAD's ``create_response``, or an idle timeout)."""

    item_id: str
    audio: np.ndarray
    respond: bool


@dataclass(frozen=True)
class VadChange:
    """The session's turn detection changed: the driver builds a VAD for it (``None``: off)."""

    key: str | None
    turn_detection: Mapping[str, Any] | None


def decode_append(
    event: Mapping[str, Any], session: sessions.SessionState
) -> tuple[np.ndarray, int] | ProtocolError:
    """``input_audio_buffer.append``'s audio as int16 samples and their rate (session format)."""
    audio = event.get("audio")
    if not isinstance(audio, str):
        return errors.missing_required_parameter("audio")
    try:
        raw = base64.b64decode(audio, validate=True)
    except (binascii.Error, ValueError):
        return errors.invalid_audio_base64()
    fmt = session.input.get("format") or sessions.PCM24
    kind = fmt.get("type") if isinstance(fmt, Mapping) else "audio/pcm"
    if kind == "audio/pcmu":
        return dsp.ulaw_decode(raw), 8000
    if kind == "audio/pcma":
        return dsp.alaw_decode(raw), 8000
    usable = len(raw) - len(raw) % 2
    pcm = np.frombuffer(raw[:usable], dtype="<i2").astype(np.int16)
    rate_value: Any = fmt.get("rate", 24000) if isinstance(fmt, Mapping) else 24000
    return pcm, int(rate_value)


class InputAudio:
    """The uncommitted input buffer and the VAD that cuts it into user turns."""

    def __init__(
        self, session: sessions.SessionState, conversation: Conversation, emit: Emit
    ) -> None:
        self._session = session
        self._conversation = conversation
        self._emit = emit
        self._buffer = InputBuffer()
        self._resamplers: dict[int, dsp.StreamResampler] = {}
        self.vad: Any = None
        self._vad_key: str | None = None
        self._vad_td: Mapping[str, Any] | None = None  # the turn_detection _vad_key was made of
        self._vad_origin_ms = 0
        self._vad_fed = 0  # absolute index of the first sample the VAD has not seen
        self.speech: tuple[str, int] | None = None  # (item_id, audio_start_ms) while speaking
        self.commits = 0

    @property
    def stream_ms(self) -> int:
        """Milliseconds of input audio received since the session began."""
        return self._buffer.stream_ms

    def append(self, pcm: np.ndarray, rate: int) -> np.ndarray:
        """Buffer input audio at any rate; returns it at 16 kHz (what the VAD is fed)."""
        if rate != 16000:
            resampler = self._resamplers.get(rate)
            if resampler is None:
                resampler = self._resamplers[rate] = dsp.StreamResampler(rate, 16000)
            pcm = resampler.process(pcm)
        if pcm.size:
            self._buffer.append(pcm)
        return pcm

    # --- the VAD follows the session ----------------------------------------------------------

    def vad_change(self) -> VadChange | None:
        """The VAD to build when turn detection changed since the last call (else ``None``)."""
        td = self._session.turn_detection
        if td is not None and td is self._vad_td:
            return None  # the same object: unchanged (session.update replaces, never edits it)
        self._vad_td = td
        key = repr(sorted(td.items())) if td else None
        if key == self._vad_key:
            return None
        self._vad_key = key
        return VadChange(key, td)

    @property
    def stream_samples(self) -> int:
        """Samples (16 kHz) of input audio received since the session began."""
        return self._buffer.total_samples

    def install_vad(self, change: VadChange, vad: Any, from_sample: int) -> bool:
        """Use ``vad``, unless the session changed again while it was built (``False``).

        It hears the audio from stream sample ``from_sample`` on (what arrived while it was being
        built included, as far as it is still held): :meth:`vad_unseen` hands it over.
        """
        if change.key != self._vad_key:
            return False
        if self.vad is not None and self.vad is not vad:
            self.vad.close()  # its model goes to the new one's successor, not to the collector
        self.vad = vad
        self._vad_fed = max(from_sample, self._buffer.start_sample)
        self._vad_origin_ms = self._vad_fed // 16
        self.speech = None
        return True

    def vad_unseen(self, latest: np.ndarray, latest_end: int) -> np.ndarray:
        """The audio the VAD has not heard yet: usually ``latest``, the chunk that ends at stream
        sample ``latest_end``; after a VAD was installed, all it missed since its start."""
        end = self._buffer.total_samples
        start, self._vad_fed = self._vad_fed, end
        if latest_end == end and end - start == latest.size:
            return latest
        if start < self._buffer.start_sample:  # dropped before it was heard: the clock skips it
            self._vad_origin_ms += (self._buffer.start_sample - start) // 16
        return self._buffer.since(start)

    def release_vad(self) -> None:
        """The session is over: give the VAD's model back for the next session."""
        if self.vad is not None:
            self.vad.close()
            self.vad = None

    def _reset_vad(self) -> None:
        if self.vad is not None:
            self.vad.reset()
            self._vad_origin_ms = self._buffer.stream_ms
            self._vad_fed = self._buffer.total_samples

    def on_vad_event(self, kind: str, audio_ms: float) -> SpeechStarted | Turn | None:
        """One VAD boundary (``audio_ms`` on the VAD's own clock)."""
        at_ms = self._vad_origin_ms + int(audio_ms)
        td = self._session.turn_detection or {}
        if kind == "speech_started" and self.speech is None:
            item_id = new_id("item")
            self.speech = (item_id, at_ms)
            self._emit(
                {
                    "type": "input_audio_buffer.speech_started",
                    "audio_start_ms": at_ms,
                    "item_id": item_id,
                }
            )
            interrupt = bool(td.get("interrupt_response", True))
            return SpeechStarted(interrupt and not self._session.is_transcription)
        if kind == "speech_stopped" and self.speech is not None:
            item_id, start_ms = self.speech
            self.speech = None
            self._emit(
                {
                    "type": "input_audio_buffer.speech_stopped",
                    "audio_end_ms": at_ms,
                    "item_id": item_id,
                }
            )
            audio = self._buffer.take_range_ms(start_ms, at_ms)
            self._commit_item(item_id, audio)
            respond = not self._session.is_transcription and bool(td.get("create_response", True))
            return Turn(item_id, audio, respond)
        return None

    def after_feed(self) -> None:
        """Without speech in progress only a little history is kept (prefix padding)."""
        if self.speech is None:
            self._buffer.trim_idle()

    # --- client commands ----------------------------------------------------------------------

    def commit(self) -> Turn | ProtocolError:
        """``input_audio_buffer.commit``: everything buffered becomes a user item."""
        for resampler in self._resamplers.values():
            self._buffer.append(resampler.flush())  # the filter holds back ~1 ms; commit it all
        if self._buffer.buffered_ms < MIN_COMMIT_MS:
            return errors.commit_too_small(self._buffer.buffered_ms)
        item_id = self.speech[0] if self.speech else new_id("item")
        self.speech = None
        audio = self._buffer.take_all()
        self._reset_vad()
        self._commit_item(item_id, audio)
        return Turn(item_id, audio, respond=False)

    def clear(self) -> None:
        """``input_audio_buffer.clear``."""
        self._buffer.clear()
        self.speech = None
        self._reset_vad()
        self._emit({"type": "input_audio_buffer.cleared"})

    # --- idle timeout (GA server_vad ``idle_timeout_ms``) ----------------------------------------

    def idle_delay_s(self, playback_s: float) -> float | None:
        """After a response, silence for ``idle_timeout_ms`` (counted from the end of its audio)
        makes the server prompt the user (``docs/reference-notes.md``, "Event ordering");
        ``None``: no timeout."""
        td = self._session.turn_detection or {}
        idle_ms = td.get("idle_timeout_ms")
        if td.get("type") != "server_vad" or not isinstance(idle_ms, int):
            return None
        return playback_s + idle_ms / 1000

    def timeout_turn(self, start_ms: int) -> Turn | None:
        """The idle timeout fired: the silence since ``start_ms`` becomes a turn to answer
        (``None`` when the user started speaking meanwhile)."""
        if self.speech is not None:
            return None
        item_id = new_id("item")
        end_ms = self._buffer.stream_ms
        self._emit(
            {
                "type": "input_audio_buffer.timeout_triggered",
                "audio_start_ms": start_ms,
                "audio_end_ms": end_ms,
                "item_id": item_id,
            }
        )
        audio = self._buffer.take_range_ms(start_ms, end_ms)
        self._commit_item(item_id, audio)
        return Turn(item_id, audio, respond=True)

    def _commit_item(self, item_id: str, audio16k: np.ndarray) -> None:
        self.commits += 1
        self._emit(
            {
                "type": "input_audio_buffer.committed",
                "previous_item_id": self._conversation.last_id,
                "item_id": item_id,
            }
        )
        self._conversation.add_user_audio(item_id)
