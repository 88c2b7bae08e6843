"""Server events read into the GPT-Live session: shapes checked, then handed to its parts.

Every field is checked before use: a wrong shape is a Notice naming the event and the field,
never an exception (the SDK's types say what each field is; ``openai.types.live``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from voicechat.core.live.appends import Appends
from voicechat.core.live.backend_calls import BackendCalls
from voicechat.core.live.delegations import Delegations
from voicechat.core.live.effects import LiveEffects
from voicechat.core.live.policy import LivePolicy
from voicechat.core.live.turns import Turns
from voicechat.protocol.live.names import SERVER_EVENTS


class SessionPort(Protocol):
    """What the reader needs of the session (declared here, so the two import one way)."""

    policy: LivePolicy
    turns: Turns
    appends: Appends
    tasks: Delegations
    backend: BackendCalls
    usage_seconds: float | None
    context_ratio: float | None

    @property
    def state(self) -> str: ...
    @property
    def effects(self) -> LiveEffects: ...
    def started(self, session: Mapping[str, Any], now: float) -> None: ...
    def closed(self, reason: Any, usage: Any) -> None: ...
    def failed_start(self, message: str) -> None: ...
    def fragment(self, speaker: str, text: str, start_ms: int, end_ms: int,
                 now: float) -> None: ...
    def output_audio(self, delta: str, now: float) -> None: ...


Event = Mapping[str, Any]
_QUIET = frozenset({
    "session.input_audio.muted", "session.input_audio.unmuted", "session.input_audio.append",
    "session.output_audio.fixture.playing", "session.output_audio.fixture.played",
    "transport.dtmf.received", "transport.dtmf.send", "transport.dtmf.sent",
    "transport.ringing", "transport.answered", "decision.event", "decision.item.created",
    "decision.item.deleted",
})


def _ms(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return int(value)


class EventReader:
    def __init__(self, session: SessionPort) -> None:
        self._s = session
        self._table: dict[str, Callable[[Event, float], None]] = {
            "session.started": self._started,
            "session.updated": lambda e, now: None,
            "session.closed": lambda e, now: self._s.closed(e.get("reason"), e.get("usage")),
            "error": self._error,
            "info": self._info,
            "session.input_transcript.delta": self._transcript,
            "session.output_transcript.delta": self._transcript,
            "session.output_audio.delta": self._audio,
            "session.delegation.created": self._delegation,
            "response.event": self._response_event,
            "session.usage.updated": self._usage,
            "session.instructions.appended": self._appended,
            "session.thinking.appended": self._appended,
            "session.commentary.appended": self._appended,
        }

    def read(self, event: Event, now: float) -> None:
        kind = event.get("type")
        if not isinstance(kind, str):
            self._s.effects.notice("warning", "a server event with no type")
            return
        handler = self._table.get(kind)
        if handler is not None:
            handler(event, now)
        elif kind not in _QUIET:
            known = "a GPT-Live event this client does not use" if kind in SERVER_EVENTS else (
                "an event GPT-Live does not define")
            self._s.effects.notice_once("info", f"{kind[:80]}: {known}")

    def _started(self, event: Event, now: float) -> None:
        session = event.get("session")
        if not isinstance(session, Mapping):
            self._s.effects.malformed("session.started", "session is not an object")
            session = {}
        self._s.started(session, now)

    def _error(self, event: Event, now: float) -> None:
        error = event.get("error")
        error = error if isinstance(error, Mapping) else {}
        message = str(error.get("message") or "no message")[:300]
        code, param = error.get("code"), error.get("param")
        text = message + (f" ({code}" + (f"; param {param}" if param else "") + ")"
                          if code else "")
        cid = error.get("client_event_id") or event.get("client_event_id")
        if self._s.state == "starting":
            self._s.failed_start(text)
        elif not (isinstance(cid, str) and self._s.appends.failed(cid, text)):
            self._s.effects.notice("error", f"server error: {text}")

    def _info(self, event: Event, now: float) -> None:
        self._s.effects.notice("info", f"server: {str(event.get('message'))[:200]} "
                                       f"({str(event.get('code'))[:60]})")

    def _transcript(self, event: Event, now: float) -> None:
        kind = str(event["type"])
        delta, start, end = event.get("delta"), _ms(event.get("start_ms")), _ms(
            event.get("end_ms"))
        if not isinstance(delta, str) or start is None or end is None or end < start:
            self._s.effects.malformed(kind, "needs a text delta and start_ms <= end_ms")
            return
        speaker = "user" if kind == "session.input_transcript.delta" else "assistant"
        self._s.fragment(speaker, delta, start, end, now)

    def _audio(self, event: Event, now: float) -> None:
        delta = event.get("delta")
        if not isinstance(delta, str):
            self._s.effects.malformed("session.output_audio.delta", "delta is not a string")
            return
        if self._s.policy.webrtc:
            self._s.effects.notice_once("warning", "output audio deltas on a WebRTC session "
                                                   "(audio rides RTP there); ignored")
            return
        self._s.output_audio(delta, now)

    def _delegation(self, event: Event, now: float) -> None:
        delegation = event.get("delegation")
        task_id = delegation.get("id") if isinstance(delegation, Mapping) else None
        target = delegation.get("target") if isinstance(delegation, Mapping) else None
        if not isinstance(task_id, str) or not isinstance(target, str):
            self._s.effects.malformed("session.delegation.created",
                                      "delegation needs an id and a target")
            return
        assert isinstance(delegation, Mapping)
        response_id = delegation.get("response_id")
        turns = self._s.turns.turns[-6:]
        context = tuple(f"{t.speaker}: {t.text.strip()}"[:500] for t in turns)
        self._s.tasks.created(task_id, target, _ms(event.get("offset_ms")) or 0,
                              response_id if isinstance(response_id, str) else None,
                              self._s.turns.user_words_since_assistant(), context, now)

    def _response_event(self, event: Event, now: float) -> None:
        nested, did = event.get("event"), event.get("delegation_id")
        if not isinstance(nested, Mapping):
            self._s.effects.malformed("response.event", "event is not an object")
            return
        self._s.backend.nested(did if isinstance(did, str) else None, nested, now)

    def _usage(self, event: Event, now: float) -> None:
        usage, window = event.get("usage"), event.get("context_window")
        seconds = usage.get("seconds") if isinstance(usage, Mapping) else None
        if isinstance(seconds, int | float) and not isinstance(seconds, bool):
            self._s.usage_seconds = float(seconds)  # cumulative: replaced, never summed
        ratio = window.get("usage_ratio") if isinstance(window, Mapping) else None
        if isinstance(ratio, int | float) and not isinstance(ratio, bool):
            self._s.context_ratio = float(ratio)

    def _appended(self, event: Event, now: float) -> None:
        self._s.appends.acknowledged(str(event["type"]), event.get("client_event_id"))
