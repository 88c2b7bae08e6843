"""What the turn timeline knows of a session besides its turns (sans-IO): the server VAD's wait,
and a clock made of the mic audio the client appended.

Why apart from :mod:`voicechat.latency.timeline`: both are facts of the session, not of a turn,
read from events the turns do not need (``session.update``/``session.updated``,
``input_audio_buffer.append``); the timeline only asks for the VAD's figures when it reports a
turn and for the clock when a log has no times.

Decisions where the sources are silent:

- The VAD's settings the server reports win over the ones the client asked for: once a
  ``session.updated`` said them, a later ``session.update`` is a request the server may refuse.
- Without times (a JSON array of bare events) the clock is the mic audio appended, which a
  WebSocket client streams in real time; an append whose size makes no span (``span_ms``: a
  day or more, or not a number) moves nothing, so a broken log cannot push every figure away.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from voicechat.latency.report import VadFigures, number, span_ms, vad_figures

#: Bytes of mic audio per millisecond by input format (pcm16 at 24 kHz; G.711 at 8 kHz).
_BYTES_PER_MS = {"audio/pcm": 48.0, "pcm16": 48.0, "audio/pcmu": 8.0, "audio/pcma": 8.0,
                 "g711_ulaw": 8.0, "g711_alaw": 8.0}


class SessionFacts:
    """The session's VAD figures (:attr:`vad`) and its mic-audio clock (:attr:`audio_ms`)."""

    def __init__(self) -> None:
        #: The VAD's wait and note for a turn it ended (:func:`vad_figures` of the settings
        #: last seen): worked out when the settings come, not for every turn.
        self.vad: VadFigures = vad_figures(None)
        self._vad_from_server = False
        self._bytes_per_ms = 48.0
        #: milliseconds of mic audio appended so far: the clock of a log without times
        self.audio_ms = 0.0
        #: some mic audio was appended: without times, the audio clock is all there is
        self.mic_counted = False

    def __repr__(self) -> str:
        # its whole state: the doctor's tests compare timelines fed two ways by their repr
        return f"SessionFacts({vars(self)!r})"

    def count_mic(self, audio: Any) -> None:
        """An ``input_audio_buffer.append``'s audio: base64 text, or the ``{"bytes": n}`` stub
        a log keeps in its place."""
        if _is_mapping(audio):
            size = audio.get("bytes")
            n = float(size) if number(size) else 0.0
        elif isinstance(audio, str):
            n = len(audio) * 3 / 4
        else:
            return
        ms = n / self._bytes_per_ms
        if not span_ms(ms):
            return  # (a broken size: no append is a day of audio)
        self.audio_ms += ms
        self.mic_counted = self.mic_counted or n > 0

    def server_session(self, session: Any) -> None:
        """A ``session.created``/``session.updated``'s session: what the server applies."""
        self._read(session, from_server=True)

    def client_session(self, session: Any) -> None:
        """A ``session.update``'s session: what the client asked for, until the server says."""
        if not self._vad_from_server:
            self._read(session, from_server=False)

    def _read(self, session: Any, *, from_server: bool) -> None:
        if not _is_mapping(session):
            return
        audio = session.get("audio")
        audio_in = audio.get("input") if _is_mapping(audio) else None
        if not _is_mapping(audio_in):
            return
        if "turn_detection" in audio_in:
            detection = audio_in.get("turn_detection")
            self.vad = vad_figures(detection if _is_mapping(detection) else None)
            self._vad_from_server = self._vad_from_server or from_server
        fmt = audio_in.get("format")
        fmt_type = fmt.get("type") if _is_mapping(fmt) else fmt
        if isinstance(fmt_type, str) and fmt_type in _BYTES_PER_MS:
            self._bytes_per_ms = _BYTES_PER_MS[fmt_type]


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, a decoded log's ``dict`` told at once (the check
    against the ABC costs ~10× as much, on every session event of a log)."""
    return type(value) is dict or isinstance(value, Mapping)
