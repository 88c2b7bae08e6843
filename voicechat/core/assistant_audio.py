"""The assistant's audio: what was received, what is playing, what was heard — and the mic told.

Three facts about assistant audio meet here: the :class:`AudioLedger` (received and played
milliseconds per item, so a truncate names exactly what the user heard), the :class:`Playback`
machine (two sources, one playing item) and the mic gate, which must hear of every playback start
and end and of every sign that audio still flows (a delta, progress that moved, a repeated start),
because its settle and fallback deadlines are measured from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from voicechat.core.audio_ledger import AudioLedger
from voicechat.core.effects import Effects
from voicechat.core.mic import MicGate
from voicechat.core.playback import Playback, Source, Stop

Event = Mapping[str, Any]
Handler = Callable[[Event, float], None]

#: How many cut answers are remembered, so that their late audio is never played: far more than
#: can still be in flight (a cut answer's audio stops within a second).
MAX_CUT = 32


class AssistantAudio:
    """Assistant audio for one session; the mic gate is shared with the session."""

    def __init__(self, gate: MicGate, effects: Effects, *, webrtc: bool,
                 cancelled: Callable[[str], bool] = lambda rid: False) -> None:
        """``cancelled``: whether this client sent ``response.cancel`` for a response (its
        audio is cut too, though no interruption was needed: a cancel sent on its
        ``response.created``)."""
        self.ledger = AudioLedger()
        self.playback = Playback()
        self._gate = gate
        self._out = effects
        self._webrtc = webrtc
        #: the response whose audio the server's output buffer streams now (WebRTC: between
        #: ``output_audio_buffer.started`` and its ``.stopped``/``.cleared``)
        self._streaming: str | None = None
        #: answers cut by an interruption (responses, and their audio items), oldest first:
        #: what still arrives of them (RTP in the jitter buffer, a delta or an
        #: ``output_audio_buffer.started`` that crossed the cancel) must not play again
        self._cut_responses: dict[str, None] = {}
        self._cut_items: dict[str, None] = {}
        self._cancelled = cancelled

    def handlers(self) -> dict[str, Handler]:
        """The server events about audio that need nobody else."""
        return {
            "response.content_part.added": self._content_part,
            "response.output_audio.delta": self._delta,
            "output_audio_buffer.started": self._buffer_started,
        }

    # --- received --------------------------------------------------------------------------

    def _content_part(self, event: Event, now: float) -> None:
        part = event.get("part")
        if isinstance(part, Mapping) and part.get("type") == "audio":
            self.ledger.item(_str(event.get("item_id")), _str(event.get("response_id")))

    def _delta(self, event: Event, now: float) -> None:
        delta = event.get("delta")
        if not isinstance(delta, str):
            self._out.malformed("response.output_audio.delta", "field 'delta' is not a string")
            return
        self.ledger.received(_str(event.get("item_id")), _str(event.get("response_id")), delta)
        self._gate.audio_evidence(now)

    # --- playing ---------------------------------------------------------------------------

    def _buffer_started(self, event: Event, now: float) -> None:
        rid = _str(event.get("response_id"))
        if self.response_cut(rid):
            # The server starts streaming an answer this client cut: its cancel and this event
            # crossed, or the cut came before the answer's audio (no clear was sent then, as
            # nothing played). The server's buffer would play it out: clear it, and it is not
            # playing here.
            if self._webrtc:
                self._out.send({"type": "output_audio_buffer.clear"})
            return
        self._streaming = rid
        self.start(now, "server", self.ledger.item_of(rid), rid)

    @property
    def streaming_response(self) -> str | None:
        """The response whose audio the server's output buffer streams now (WebRTC)."""
        return self._streaming

    @property
    def streaming_item(self) -> str | None:
        """The item whose audio the server streams now (WebRTC), if the server said so.

        WebRTC audio carries no item id. A response created while the previous one's audio
        still plays (a typed turn, ``interrupt_response`` off) announces its item at once,
        but the server keeps streaming the previous answer until its buffer stops: that audio
        is the previous item's, and a truncate must count it there."""
        return self.ledger.item_of(self._streaming)

    def start(
        self, now: float, source: Source, item_id: str | None, response_id: str | None
    ) -> None:
        """A source started playing (the item's response is looked up when not given)."""
        if item_id is not None and response_id is None:
            record = self.ledger.get(item_id)
            response_id = record.response_id if record is not None else None
        if self.playback.start(now, source, item_id, response_id):
            self._gate.playback_started(now)
        else:
            self._gate.audio_evidence(now)

    def stop(self, now: float, source: Source, reason: str) -> Stop:
        """A source stopped; unless the other still plays, the gate starts settling."""
        if source == "server":
            self._streaming = None
        stop = self.playback.stop(now, source, reason)
        if stop is not Stop.CONTINUES:
            self._gate.playback_ended(now)
        return stop

    def progress(self, now: float, item_id: Any, played_ms: Any) -> None:
        """The speaker's cumulative progress on ``item_id`` (malformed reports are ignored)."""
        if not isinstance(played_ms, int | float) or not math.isfinite(played_ms):
            return
        if isinstance(item_id, str) and self.ledger.played(item_id, played_ms):
            self._gate.audio_evidence(now)
            self.playback.heard(item_id)

    def lost(self, now: float) -> None:
        """The connection went away: nothing can be playing any more."""
        self._streaming = None
        self.playback.end(now, "closed")
        self._gate.reset_playback()

    # --- cut off ---------------------------------------------------------------------------

    def cut(self, now: float, target: str | None, cancelled: str | None = None) -> None:
        """Barge-in, after the flush and the cancel: clear the server's buffer (WebRTC, while it
        plays), truncate ``target`` to what was heard, and stop every source now. ``target``,
        the answer playing and ``cancelled`` (the response active when cut, cancelled by this
        client or by the server itself) are remembered as cut: nothing more of them plays."""
        record = self.ledger.get(target) if target is not None else None
        self._remember_cut(
            (target,), (self._streaming, self.playback.response_id, cancelled,
                        record.response_id if record is not None else None))
        if self._webrtc and self.playback.playing:
            self._out.send({"type": "output_audio_buffer.clear"})
        if target is not None:
            heard = self.ledger.audio_end_ms(target)
            self._out.send({"type": "conversation.item.truncate", "item_id": target,
                            "content_index": 0, "audio_end_ms": heard})
        self._streaming = None
        self.playback.end(now, "interrupted")
        self._gate.playback_ended(now)

    def _remember_cut(
        self, items: Iterable[str | None], responses: Iterable[str | None]
    ) -> None:
        for known, ids in ((self._cut_items, items), (self._cut_responses, responses)):
            for cut_id in ids:
                if cut_id is not None:
                    known[cut_id] = None
            while len(known) > MAX_CUT:
                del known[next(iter(known))]

    def response_cut(self, response_id: str | None) -> bool:
        """``response_id`` was cut by an interruption here, or cancelled by this client."""
        return response_id is not None and (
            response_id in self._cut_responses or self._cancelled(response_id))

    def item_cut(self, item_id: str | None) -> bool:
        """``item_id`` is (the audio of) an answer cut by an interruption here."""
        if item_id is None:
            return False
        if item_id in self._cut_items:
            return True
        record = self.ledger.get(item_id)
        return record is not None and self.response_cut(record.response_id)

    def truncate_target(self, active_response_id: str | None) -> str | None:
        """The item to truncate: the one playing, else the active response's, else the playing
        response's."""
        playback = self.playback
        target = playback.item_id if playback.playing else None
        if target is None:
            target = self.ledger.item_of(active_response_id)
        if target is None and playback.playing:
            target = self.ledger.item_of(playback.response_id)
        return target


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
