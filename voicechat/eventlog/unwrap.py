"""Where the event is in a parsed JSON object: a bare event, our record, another logger's
wrapper (``{"direction": …, "data": {…}}``, an event as a JSON string inside a message …)."""

from __future__ import annotations

import json
import re
from typing import Any

from voicechat.eventlog.builder import DIRECTIONS as _DIRECTIONS
from voicechat.eventlog.builder import EVENT_TYPE_SEEN as _EVENT_TYPE_SEEN
from voicechat.eventlog.builder import Raw as _Raw
from voicechat.eventlog.gemini_frames import frame_event
from voicechat.eventlog.record import Direction

_EVENT_TYPE = re.compile(
    r"^(?:error|(?:session|transcription_session|input_audio_buffer|output_audio_buffer"
    r"|conversation|response|rate_limits|local|mcp_list_tools)\.[a-z_.]+)$"
)
_WRAPPER_KEYS = ("event", "data", "message", "payload", "msg", "body")
_IN_WORDS = frozenset({"in", "recv", "received", "receive", "incoming", "server",
                       "server_to_client", "s2c", "rx", "inbound"})
_OUT_WORDS = frozenset({"out", "send", "sent", "outgoing", "client", "client_to_server", "c2s",
                        "tx", "outbound"})


def is_event(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    kind = obj.get("type")
    if not isinstance(kind, str):
        return False
    known = _EVENT_TYPE_SEEN.get(kind)
    if known is None:  # a log has a few dozen types: match each once, not once per line
        known = bool(_EVENT_TYPE.match(kind))
        if len(_EVENT_TYPE_SEEN) < 4096:
            _EVENT_TYPE_SEEN[kind] = known
    return known


def _direction(value: Any) -> Direction | None:
    exact = _DIRECTIONS.get(value) if isinstance(value, str) else None
    if exact is not None:
        return exact
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "local":
            return "local"
        if word in _IN_WORDS:
            return "in"
        if word in _OUT_WORDS:
            return "out"
    return None


def unwrap(obj: dict[str, Any]) -> _Raw | None:
    """A bare event, our log record, or another logger's wrapper → the event and its metadata."""
    if "type" in obj and is_event(obj):
        return _Raw(obj, None, None, None, False)
    inner = obj.get("event")
    if isinstance(inner, dict) and is_event(inner):
        # Our own record, the common case: what the loop below finds first, found directly.
        direction = _direction(obj["dir"] if "dir" in obj else obj.get("direction"))
        t = obj.get("t")
        stamp = obj.get("ts")
        if not isinstance(stamp, str):
            stamp = next((obj[k] for k in ("timestamp", "time") if isinstance(obj.get(k), str)),
                         None)
        number = isinstance(t, int | float)
        return _Raw(inner, direction, float(t) if isinstance(t, int | float) else None, stamp,
                    number and "dir" in obj)
    for key in _WRAPPER_KEYS:
        inner = obj.get(key)
        if inner is None:
            continue
        if isinstance(inner, str) and inner.lstrip().startswith("{"):
            try:
                inner = json.loads(inner)
            except ValueError:
                continue
        if is_event(inner):
            direction = _direction(obj.get("dir", obj.get("direction")))
            t = obj.get("t")
            stamp = obj.get("ts")
            if not isinstance(stamp, str):
                stamp = next((obj[k] for k in ("timestamp", "time") if isinstance(obj.get(k), str)),
                             None)
            ours = key == "event" and "dir" in obj and isinstance(t, int | float)
            assert isinstance(inner, dict)  # is_event checked it
            return _Raw(inner, direction, float(t) if isinstance(t, int | float) else None, stamp,
                        ours)
    return _gemini(obj)


def _gemini(obj: dict[str, Any]) -> _Raw | None:
    """A Gemini Live frame, bare or in a record or wrapper, with the type the reader gives it
    (:mod:`~voicechat.eventlog.gemini_frames`). Reached only by an object that holds no
    Realtime or GPT-Live event, so a log of those pays nothing for it."""
    found = frame_event(obj)
    if found is not None:
        return _Raw(found[0], found[1], None, None, False)
    for key in _WRAPPER_KEYS:
        inner = obj.get(key)
        if isinstance(inner, str) and inner.lstrip().startswith("{"):
            try:
                inner = json.loads(inner)
            except ValueError:
                continue
        found = frame_event(inner)
        if found is None:
            continue
        t = obj.get("t")
        stamp = obj.get("ts")
        if not isinstance(stamp, str):
            stamp = next((obj[k] for k in ("timestamp", "time") if isinstance(obj.get(k), str)),
                         None)
        direction = _direction(obj.get("dir", obj.get("direction"))) or found[1]
        ours = key == "event" and "dir" in obj and isinstance(t, int | float)
        return _Raw(found[0], direction, float(t) if isinstance(t, int | float) else None, stamp,
                    ours)
    return None
