"""One-line summaries of Gemini Live frames (typed ``gemini.<message>`` by the reader), for the
same readers as :mod:`voicechat.eventlog.summary`, which merges these into its table.

A Gemini frame says what happened in nested pieces (a ``serverContent`` may hold the user's
words, the model's audio and the turn's end at once), in either spelling; the line names the
pieces. Resumption handles are never shown: with the key, one reopens the conversation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from voicechat.eventlog.gemini_frames import CLOSE, PREFIX
from voicechat.protocol.gemini import names, spelling

MAX_TEXT = 60


def _clip(text: Any, limit: int = MAX_TEXT) -> str:
    flat = " ".join(str(text).split())
    return json.dumps(flat if len(flat) <= limit else flat[: limit - 1] + "…",
                      ensure_ascii=False)


def _json(value: Any, limit: int = MAX_TEXT) -> str:
    """``value`` as compact JSON, cut to ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _body(event: Mapping[str, Any], message: str) -> Mapping[str, Any]:
    value = spelling.get(event, message)
    return value if isinstance(value, Mapping) else {}


def _size(blob: Any) -> str:
    data = blob.get("data") if isinstance(blob, Mapping) else None
    size = data.get("bytes") if isinstance(data, Mapping) else None
    return f"{size} bytes" if isinstance(size, int) else "?"


def _setup(event: Mapping[str, Any]) -> str:
    setup = _body(event, names.SETUP)
    parts = [str(setup.get("model", "?"))]
    resumption = spelling.get(setup, "sessionResumption")
    if isinstance(resumption, Mapping):
        parts.append("resume with handle" if spelling.get(resumption, "handle")
                     else "resumable")
    if spelling.get(setup, "tools"):
        parts.append("tools")
    return " ".join(parts)


def _realtime_input(event: Mapping[str, Any]) -> str:
    body = _body(event, names.REALTIME_INPUT)
    audio = spelling.get(body, names.AUDIO)
    if isinstance(audio, Mapping):
        return f"audio {_size(audio)} {spelling.get(audio, 'mimeType', '')}".rstrip()
    if isinstance(spelling.get(body, names.TEXT), str):
        return f"text {_clip(spelling.get(body, names.TEXT))}"
    return " ".join(spelling.camel(str(key)) for key in body)


def _server_content(event: Mapping[str, Any]) -> str:
    body = _body(event, names.SERVER_CONTENT)
    parts = []
    for key, label in ((names.INPUT_TRANSCRIPTION, "heard"),
                       (names.OUTPUT_TRANSCRIPTION, "said")):
        piece = spelling.get(body, key)
        if isinstance(piece, Mapping) and piece.get("text"):
            parts.append(f"{label} {_clip(piece['text'])}")
    turn = spelling.get(body, names.MODEL_TURN)
    for part in (turn.get("parts") or []) if isinstance(turn, Mapping) else []:
        if isinstance(part, Mapping) and spelling.has(part, "inlineData"):
            parts.append(f"audio {_size(spelling.get(part, 'inlineData'))}")
        elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
            parts.append(f"text {_clip(part['text'])}")
    for key in (names.INTERRUPTED, names.GENERATION_COMPLETE, names.TURN_COMPLETE):
        if spelling.get(body, key) is True:
            parts.append(key)
    return " ".join(parts)


def _tool_call(event: Mapping[str, Any]) -> str:
    calls = spelling.get(_body(event, names.TOOL_CALL), "functionCalls") or []
    return " ".join(f"{call.get('name', '?')}({_json(call.get('args') or {})}) "
                    f"{call.get('id', '?')}" for call in calls if isinstance(call, Mapping))


def _tool_response(event: Mapping[str, Any]) -> str:
    answers = spelling.get(_body(event, names.TOOL_RESPONSE), "functionResponses") or []
    return " ".join(f"for {answer.get('id', '?')} {_json(answer.get('response'))}"
                    for answer in answers if isinstance(answer, Mapping))


def _ids(event: Mapping[str, Any]) -> str:
    return " ".join(str(i) for i in
                    spelling.get(_body(event, names.TOOL_CALL_CANCELLATION), "ids") or [])


def _go_away(event: Mapping[str, Any]) -> str:
    return f"timeLeft {spelling.get(_body(event, names.GO_AWAY), 'timeLeft', '?')}"


def _resumption(event: Mapping[str, Any]) -> str:
    body = _body(event, names.SESSION_RESUMPTION_UPDATE)
    handle = "new handle" if spelling.get(body, "newHandle") else "no handle"
    return f"{handle} resumable={spelling.get(body, 'resumable') is True}".lower()


def _close(event: Mapping[str, Any]) -> str:
    return f"{event.get('code', '?')} {_clip(event.get('reason', ''), 90)}"


GEMINI_DETAILS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    PREFIX + names.SETUP: _setup,
    PREFIX + names.REALTIME_INPUT: _realtime_input,
    PREFIX + names.SERVER_CONTENT: _server_content,
    PREFIX + names.TOOL_CALL: _tool_call,
    PREFIX + names.TOOL_RESPONSE: _tool_response,
    PREFIX + names.TOOL_CALL_CANCELLATION: _ids,
    PREFIX + names.GO_AWAY: _go_away,
    PREFIX + names.SESSION_RESUMPTION_UPDATE: _resumption,
    CLOSE: _close,
}

#: Gemini's flood: the mic stream (a realtimeInput every 20–100 ms).
GEMINI_QUIET_TYPES = frozenset({PREFIX + names.REALTIME_INPUT})
