"""Gemini Live frames in a log: a type for each, their audio out, and the closes apps log.

Every reader of a log (the doctor, replay, export) keys events by ``type``; a Gemini Live
frame has none, it is keyed by its message (``setup``, ``serverContent``…, in either
proto-JSON spelling). So the reader gives each frame the type ``gemini.<message>`` (camelCase,
whichever spelling the log used: ``gemini.realtimeInput`` for ``realtime_input`` too), keeps
its fields as logged, and replaces its base64 blobs (``realtimeInput.audio``, a model turn's
``inlineData``, legacy ``mediaChunks``) with their size, as it does a Realtime append's audio,
and its resumption handles with a fingerprint.

Gemini Live has no error event: the service refuses by closing the socket (code and reason).
An app logs that as a line of its own (``WebSocket closed: 1007 …``, ``close code 1011``); in a
log already known to be Gemini's, such a line becomes a ``gemini.close`` event, so the doctor
can explain the code. Only frames decide the family: a Realtime log never reaches this module
(its events carry a ``type`` and are found first).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from voicechat.eventlog.record import Direction
from voicechat.eventlog.redact import b64_size
from voicechat.protocol.gemini import names, spelling
from voicechat.protocol.gemini.family import side_of
from voicechat.protocol.secrets import REDACTED

#: The prefix of every type the reader gives a Gemini Live frame.
PREFIX = "gemini."
#: A close of the WebSocket, read from an app's own line: ``code`` (int), ``reason`` (str).
CLOSE = "gemini.close"
#: ``gemini.<message>`` for every message of either side.
TYPES = frozenset(PREFIX + key for key in names.CLIENT_MESSAGES + names.SERVER_MESSAGES)
#: Which message names a server frame that carries several (``serverContent`` with its
#: ``usageMetadata``): the first of these it holds.
_SERVER_ORDER = (*(k for k in names.SERVER_MESSAGES if k != names.USAGE_METADATA),
                 names.USAGE_METADATA)
_DIRECTION: dict[str, Direction] = {"client": "out", "server": "in"}
#: Every message key in both spellings: an object with none of them is no frame.
_MESSAGE_KEYS = frozenset(key for message in names.CLIENT_MESSAGES + names.SERVER_MESSAGES
                          for key in (message, spelling.snake(message)))


#: ``setup.sessionResumption.handle`` and ``sessionResumptionUpdate.newHandle``, both spellings
_HANDLE_KEYS = frozenset({"handle", "newHandle", "new_handle"})


def handle_fingerprint(handle: str) -> str:
    """A resumption handle as ``[redacted 1a2b3c4d]``: with the key, a handle reopens the
    conversation for hours, so no report or replay shows one; the fingerprint still tells two
    handles apart (the doctor compares them). Already redacted ones are kept as they are."""
    if handle.startswith(REDACTED[:-1]):
        return handle
    return f"{REDACTED[:-1]} {hashlib.sha256(handle.encode()).hexdigest()[:8]}]"


def frame_event(obj: Any) -> tuple[dict[str, Any], Direction] | None:
    """``obj`` as an event (``{"type": "gemini.<message>", …its fields}``, blobs as sizes)
    and who sent it, or ``None`` when it is not a Gemini Live frame."""
    if not isinstance(obj, Mapping) or _MESSAGE_KEYS.isdisjoint(obj):
        return None  # one C-level test: what most non-event objects of a Realtime log meet
    side = side_of(obj)
    if side is None:
        return None
    keys = {spelling.camel(str(key)) for key in obj}
    if side == "client":
        message = next(iter(keys)) if len(keys) == 1 else sorted(keys)[0]
    else:
        message = next(key for key in _SERVER_ORDER if key in keys)
    event: dict[str, Any] = {"type": PREFIX + message}
    try:
        for key, value in obj.items():
            event[key] = _without_blobs(value)
    except RecursionError:
        return None  # nested too deeply to walk: no real frame (the reader skips the line)
    return event, _DIRECTION[side]


def _without_blobs(value: Any) -> Any:
    """``value`` with every ``{data, mimeType}`` blob's base64 as ``{"bytes": N}`` and every
    resumption handle as its fingerprint (:func:`handle_fingerprint`), a copy."""
    if isinstance(value, Mapping):
        data = value.get("data")
        blob = isinstance(data, str) and (spelling.has(value, "mimeType"))
        return {key: ({"bytes": b64_size(item)} if blob and key == "data"
                      else handle_fingerprint(item) if key in _HANDLE_KEYS
                      and isinstance(item, str) and item
                      else _without_blobs(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_without_blobs(item) for item in value]
    return value


#: ``closed … 1007 …``: a WebSocket close code after a word for closing (the codes a server
#: sends: 1000–1015 and the application range 4000–4999).
_CLOSE_LINE = re.compile(r"(?i)\bclos(?:e|ed|ing|e_?event)?\b\D{0,60}?\b(10(?:0\d|1[0-5])|4\d{3})"
                         r"\b(.*)$")
_REASON_LEAD = re.compile(r"""(?i)^\s*(?:\([a-z ]+\))?[\s,:;=()\[\]'"-]*"""
                          r"""(?:reason[\s'"]*[:=]\s*)?['"]?""")
_MAX_REASON = 160


def close_event(line: str) -> dict[str, Any] | None:
    """A ``gemini.close`` event from an app's line about a closed socket, or ``None``."""
    if "los" not in line and "LOS" not in line:
        return None
    match = _CLOSE_LINE.search(line)
    if match is None:
        return None
    rest = match.group(2)
    reason = rest[_REASON_LEAD.match(rest).end():].strip()  # type: ignore[union-attr]
    reason = reason.rstrip("'\"}) ,").strip()
    return {"type": CLOSE, "code": int(match.group(1)), "reason": reason[:_MAX_REASON]}


def frame_label(frame: Mapping[str, Any]) -> str | None:
    """A Gemini Live frame as the event flows show it (``--no-ui --events``, the TUI's pane):
    its message keys (and ``serverContent``'s pieces), or ``None`` for the audio and
    transcript frames that stream many a second (the TUI folds those)."""
    keys = [spelling.camel(str(k)) for k in frame]
    if keys == [names.REALTIME_INPUT]:
        body = frame[next(iter(frame))]
        if isinstance(body, Mapping) and names.AUDIO in body:
            return None
    content = spelling.get(frame, names.SERVER_CONTENT)
    if isinstance(content, Mapping):
        pieces = [spelling.camel(str(k)) for k in content]
        if set(pieces) <= {names.MODEL_TURN, names.INPUT_TRANSCRIPTION,
                           names.OUTPUT_TRANSCRIPTION}:
            return None
        return "serverContent." + "+".join(pieces)
    return "+".join(keys)
