"""Twilio's side of one bidirectional Media Stream, sans-IO: messages out, the agent's in.

What an agent written for Twilio sees (reference ``phone.md`` §1.2-1.4, Twilio's "WebSocket
messages" page):

* ``connected`` first, then ``start`` (``sequenceNumber`` "1", the call's ids, ``tracks``,
  ``mediaFormat`` μ-law/8000/1, the ``<Parameter>`` values in ``customParameters``), then one
  ``media`` message per 20 ms of the caller (160 bytes of μ-law), ``dtmf`` for a key, and
  ``stop`` at the end. Twilio's quirks are kept, since agents are written against them:
  ``sequenceNumber``, ``chunk`` and ``timestamp`` are JSON *strings* (``sampleRate`` and
  ``channels`` are numbers), media tracks are ``"inbound"`` but a key's is ``"inbound_track"``.
* From the agent: ``media`` (base64 μ-law, queued behind what is still to play), ``mark``
  (echoed once the audio queued before it has played: on the playback clock, never on
  receipt, as an agent's text-to-speech arrives ten times faster than it plays) and ``clear``
  (the queue emptied, and every pending mark echoed at once).

Anything else from the agent is reported once per kind (:class:`Refused`) and dropped, as Twilio
refuses it: a binary frame, text that is not a JSON object, an unknown ``event``, a payload that
is not base64 or that starts with a file header (a WAV's ``RIFF``). Decided: a message whose
``streamSid`` is missing or not this stream's is reported the same way but still taken; Twilio's
own handling is not documented [infer: the stream's only socket is this one], and Fonoster
ignores the field.

Time is passed in (seconds, any monotonic clock); audio goes out as the playback clock reaches
it (:meth:`MediaStream.played`), which is what the caller's ears (the recogniser, the first-audio
timer, the barge-in) hear.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any

from voicechat.phone.twilio.twiml import Stream
from voicechat.phone.twilio.webhook import Call

#: μ-law at 8 kHz: a byte a sample, 160 bytes a 20 ms frame
RATE = 8000
FRAME_BYTES = 160
#: μ-law's digital silence (0x00 is a loud click)
SILENCE = b"\xff"
#: what a payload must not start with: a file's header instead of raw μ-law
FILE_HEADERS = (b"RIFF", b"ID3", b"OggS", b"fLaC")
#: the keys a caller can press
KEYS = "0123456789*#"


@dataclass(frozen=True)
class Refused:
    """A message from the agent that Twilio would not take; ``why`` names it and the fix."""

    kind: str
    why: str


@dataclass(frozen=True)
class Cleared:
    """The agent sent ``clear``: ``dropped_ms`` of its audio were not played."""

    dropped_ms: float


@dataclass(frozen=True)
class Received:
    """The agent's audio was queued: ``ms`` of it, behind ``queued_ms`` still to play."""

    ms: float
    queued_ms: float


Event = Refused | Cleared | Received


class MediaStream:
    """One stream's state: its ids, the caller's chunks, the agent's playback queue."""

    def __init__(self, call: Call, stream: Stream, stream_sid: str | None = None) -> None:
        self.call = call
        self.stream = stream
        self.stream_sid = stream_sid or "MZ" + secrets.token_hex(16)
        self._sequence = 0
        self._chunk = 0
        self._started_at: float | None = None
        self._caller_ms = 0.0  # the caller's audio sent, in ms: the media timestamps
        self._pending = bytearray()  # caller audio short of a whole frame
        self._queue: deque[bytes | str] = deque()  # the agent's audio and marks, in order
        self._queued_bytes = 0
        self._play_from: float | None = None  # when the head of the queue started playing
        self._due_audio = bytearray()  # played since the last played() call
        self._due_marks: list[dict[str, Any]] = []
        self._refused: set[str] = set()
        #: :meth:`next_mark_at`'s answer, kept until the first mark's place changes: a mark
        #: queued, a clear, the clock started or stopped, a mark echoed. Not by audio queued
        #: (it goes after any mark), nor by playing (which moves the head's start and shortens
        #: what is ahead of the mark alike)
        self._mark_at: float | None = None
        self._mark_at_known = True

    # --- to the agent ------------------------------------------------------------------------

    def opening(self, now: float) -> list[dict[str, Any]]:
        """``connected`` and ``start``, the stream's first two messages."""
        self._started_at = now
        return [
            {"event": "connected", "protocol": "Call", "version": "1.0.0"},
            self._numbered({
                "event": "start",
                "start": {
                    "accountSid": self.call.account_sid,
                    "streamSid": self.stream_sid,
                    "callSid": self.call.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": dict(self.stream.parameters),
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": RATE,
                                    "channels": 1},
                },
            }),
        ]

    def caller_audio(self, mulaw: bytes) -> list[dict[str, Any]]:
        """The caller's μ-law as ``media`` messages, one per whole 20 ms frame (the rest waits
        for the next call: Twilio sends whole frames)."""
        self._pending += mulaw
        out = []
        while len(self._pending) >= FRAME_BYTES:
            frame = bytes(self._pending[:FRAME_BYTES])
            del self._pending[:FRAME_BYTES]
            self._chunk += 1
            out.append(self._numbered({
                "event": "media",
                "media": {"track": "inbound", "chunk": str(self._chunk),
                          "timestamp": str(int(self._caller_ms)),
                          "payload": base64.b64encode(frame).decode("ascii")},
            }))
            self._caller_ms += 1000.0 * FRAME_BYTES / RATE
        return out

    def dtmf(self, digit: str) -> dict[str, Any]:
        """A key the caller pressed (``0``-``9``, ``*``, ``#``)."""
        if len(digit) != 1 or digit not in KEYS:
            raise ValueError(f"a key is one of 0-9, * and #, not {digit!r}")
        return self._numbered({"event": "dtmf",
                               "dtmf": {"track": "inbound_track", "digit": digit}})

    def stop(self) -> dict[str, Any]:
        return self._numbered({"event": "stop", "stop": {"accountSid": self.call.account_sid,
                                                         "callSid": self.call.call_sid}})

    def _numbered(self, message: dict[str, Any]) -> dict[str, Any]:
        self._sequence += 1
        return {"event": message["event"], "sequenceNumber": str(self._sequence),
                **{k: v for k, v in message.items() if k != "event"},
                "streamSid": self.stream_sid}

    # --- from the agent ----------------------------------------------------------------------

    def receive(self, data: str | bytes, now: float) -> list[Event]:
        """One WebSocket message from the agent."""
        if isinstance(data, bytes):
            return self._refuse("binary", "the agent sent a binary frame: Twilio takes JSON "
                                          "text messages only (media, mark, clear)")
        try:
            message = json.loads(data)
        except ValueError:
            return self._refuse("json", f"the agent sent text that is not JSON: "
                                        f"{data[:60]!r}")
        if not isinstance(message, dict):
            return self._refuse("json", "the agent sent JSON that is not an object")
        events: list[Event] = []
        if message.get("streamSid") != self.stream_sid:
            events += self._refuse("streamSid", f"the agent's {str(message.get('event'))[:20]} "
                                                f"message has streamSid "
                                                f"{str(message.get('streamSid'))[:40]!r}, not "
                                                f"this stream's {self.stream_sid}: taken anyway")
        kind = message.get("event")
        if kind == "media":
            events += self._media(message.get("media"), now)
        elif kind == "mark":
            mark = message.get("mark")
            name = mark.get("name") if isinstance(mark, dict) else None
            if not isinstance(name, str):
                events += self._refuse("mark", "a mark message needs mark.name (text)")
            else:
                self._advance(now)
                self._start_if_idle(now)
                self._queue.append(name)
                self._mark_at_known = False  # it may be the first mark queued
        elif kind == "clear":
            self._advance(now)
            dropped = self._queued_bytes
            self._queue = deque(name for name in self._queue if isinstance(name, str))
            self._queued_bytes = 0
            self._play_from = None
            self._mark_at_known = False
            self._advance(now)  # every pending mark echoed at once
            events.append(Cleared(1000.0 * dropped / RATE))
        else:
            events += self._refuse(f"event:{str(kind)[:20]}",
                                   f"the agent sent event {str(kind)[:40]!r}: Twilio takes "
                                   "media, mark and clear only")
        return events

    def _media(self, media: Any, now: float) -> list[Event]:
        payload = media.get("payload") if isinstance(media, dict) else None
        if not isinstance(payload, str):
            return self._refuse("payload", "a media message needs media.payload (base64 "
                                           "μ-law)")
        try:
            audio = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            return self._refuse("payload", "a media payload that is not base64: send base64 "
                                           "of raw μ-law 8 kHz")
        if audio.startswith(FILE_HEADERS):
            return self._refuse("header", "a media payload that starts with a file header "
                                          f"({audio[:4]!r}): Twilio takes raw μ-law 8 kHz, "
                                          "with no WAV or other header")
        if not audio:
            return []
        self._advance(now)
        self._start_if_idle(now)
        self._queue.append(audio)
        self._queued_bytes += len(audio)
        return [Received(1000.0 * len(audio) / RATE,
                         1000.0 * (self._queued_bytes - len(audio)) / RATE)]

    def _refuse(self, kind: str, why: str) -> list[Event]:
        if kind in self._refused:
            return []
        self._refused.add(kind)
        return [Refused(kind, why)]

    # --- the playback clock ------------------------------------------------------------------

    def _start_if_idle(self, now: float) -> None:
        if self._play_from is None:
            self._play_from = now
            self._mark_at_known = False

    def played(self, now: float) -> tuple[bytes, list[dict[str, Any]]]:
        """The agent's audio whose time has come by ``now`` (since the last call), and the mark
        echoes due: call it on a timer, and after each :meth:`receive` (a ``clear`` echoes its
        marks at once)."""
        self._advance(now)
        audio, self._due_audio = bytes(self._due_audio), bytearray()
        marks, self._due_marks = self._due_marks, []
        return audio, marks

    def _advance(self, now: float) -> None:
        while self._queue:
            head = self._queue[0]
            if isinstance(head, str):  # a mark: everything before it has played
                self._queue.popleft()
                self._mark_at_known = False
                self._due_marks.append(self._numbered({"event": "mark", "mark": {"name": head}}))
                continue
            if self._play_from is None:
                self._play_from = now
                self._mark_at_known = False
            due = int((now - self._play_from) * RATE + 1e-6)  # (0.1 s is 799.99…)
            if due <= 0:
                break
            take = head[:due]
            self._due_audio += take
            self._play_from += len(take) / RATE
            self._queued_bytes -= len(take)
            if len(take) == len(head):
                self._queue.popleft()
            else:
                self._queue[0] = head[len(take):]
                break
        if not self._queue:
            self._play_from = None
            self._mark_at_known = False

    def next_mark_at(self) -> float | None:
        """When the first queued mark falls due (the audio queued before it has played), on
        the clock :meth:`receive` and :meth:`played` are given; ``None`` with no mark queued.
        A driver wakes then to echo it, rather than at its next 20 ms tick. Asked every tick
        of every call: worked out again only when the queue changed (an agent sends many
        short chunks ahead, and a mark may wait behind all of them)."""
        if not self._mark_at_known:
            self._mark_at, ahead = None, 0
            for item in self._queue:
                if isinstance(item, str):
                    start = self._play_from if self._play_from is not None else 0.0
                    self._mark_at = start + ahead / RATE
                    break
                ahead += len(item)
            self._mark_at_known = True
        return self._mark_at

    @property
    def queued_ms(self) -> float:
        """The agent's audio still to play."""
        return 1000.0 * self._queued_bytes / RATE
