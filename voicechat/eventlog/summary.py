"""One line that says what a Realtime event is about, for people reading an event stream.

Used by the event-flow pane, ``voicechat --no-ui`` and ``voicechat replay``. Pure functions over
plain dicts (either dialect, already redacted): the type, then the few fields that identify the
event and what changed — item and response ids, VAD positions, transcripts, error codes — never
a payload dump.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from voicechat.protocol.pricing import tokens_from_usage, tokens_line
from voicechat.protocol.text import printable

ARROWS: Mapping[str, str] = {"in": "←", "out": "→", "local": "·"}
MAX_TEXT = 60
#: Flood events (audio, deltas, rate limits) that line-per-event output leaves out.
QUIET_TYPES = frozenset(
    {"input_audio_buffer.append", "response.output_audio.delta", "response.audio.delta",
     "response.output_audio_transcript.delta", "response.audio_transcript.delta",
     "response.output_text.delta", "response.text.delta",
     "conversation.item.input_audio_transcription.delta", "rate_limits.updated"}
)


def arrow(direction: str) -> str:
    """``←`` server→client, ``→`` client→server, ``·`` local."""
    return ARROWS.get(direction, "?")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: Any, limit: int = MAX_TEXT) -> str:
    return json.dumps(clip(str(text), limit), ensure_ascii=False)


def is_delta(kind: str) -> bool:
    """Events that come in floods and are folded in displays."""
    return kind.endswith(".delta") or kind == "input_audio_buffer.append"


def is_error(event: Mapping[str, Any]) -> bool:
    kind = str(event.get("type", ""))
    if kind == "error" or kind.endswith(".failed"):
        return True
    if kind == "response.done":
        response = event.get("response")
        return isinstance(response, Mapping) and response.get("status") == "failed"
    return kind == "local.notice" and event.get("level") == "error"


def _get(event: Mapping[str, Any], *path: str) -> Any:
    node: Any = event
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _ids(event: Mapping[str, Any]) -> str:
    parts = []
    for key in ("response_id", "item_id"):
        value = event.get(key)
        if isinstance(value, str):
            parts.append(value)
    return " ".join(parts)


def _session(event: Mapping[str, Any]) -> str:
    session = event.get("session")
    if not isinstance(session, Mapping):
        return ""
    td = _get(session, "audio", "input", "turn_detection") if "audio" in session else \
        session.get("turn_detection")
    tr = _get(session, "audio", "input", "transcription") if "audio" in session else \
        session.get("input_audio_transcription")
    voice = _get(session, "audio", "output", "voice") if "audio" in session else \
        session.get("voice")
    parts = []
    if "type" in session:
        parts.append(str(session["type"]))
    if isinstance(td, Mapping):
        vad = str(td.get("type", "vad"))
        if "threshold" in td or "silence_duration_ms" in td:
            vad += f" {td.get('threshold', '-')}/{td.get('prefix_padding_ms', '-')}/" \
                   f"{td.get('silence_duration_ms', '-')}"
        parts.append(vad)
    elif (("audio" in session and isinstance(_get(session, "audio", "input"), Mapping)
           and "turn_detection" in session["audio"]["input"]) or "turn_detection" in session):
        parts.append("vad off")
    if isinstance(tr, Mapping):
        parts.append(f"transcription {tr.get('model', '?')}")
    elif tr is None and ("input_audio_transcription" in session
                         or "transcription" in (_get(session, "audio", "input") or {})):
        parts.append("transcription off")
    if voice:
        parts.append(f"voice {voice if isinstance(voice, str) else json.dumps(voice)}")
    return ", ".join(parts)


def _item(event: Mapping[str, Any]) -> str:
    item = event.get("item")
    if not isinstance(item, Mapping):
        return ""
    parts = [str(item.get("id", ""))]
    role = item.get("role")
    parts.append(str(role or item.get("type", "")))
    for part in item.get("content") or []:
        if not isinstance(part, Mapping):
            continue
        text = part.get("text") or part.get("transcript")
        if text:
            parts.append(quoted(text))
            break
    return " ".join(p for p in parts if p)


def _response(event: Mapping[str, Any]) -> str:
    response = event.get("response")
    if not isinstance(response, Mapping):
        return ""
    parts = [str(response.get("id", "")), str(response.get("status", ""))]
    reason = _get(response, "status_details", "reason")
    code = _get(response, "status_details", "error", "code")
    if reason:
        parts.append(f"({reason})")
    if code:
        parts.append(f"({code})")
    tokens = tokens_from_usage(response.get("usage"))
    if tokens is not None:
        parts.append(f"· {tokens_line(tokens)}")
    return " ".join(p for p in parts if p)


def _error(event: Mapping[str, Any]) -> str:
    error = event.get("error")
    if not isinstance(error, Mapping):
        return ""
    code = error.get("code") or error.get("type") or ""
    return f"{code}: {clip(str(error.get('message', '')), 90)}".strip(": ")


def _delta(event: Mapping[str, Any]) -> str:
    delta = event.get("delta")
    if isinstance(delta, Mapping) and "bytes" in delta:
        return f"{_ids(event)} {delta['bytes']} bytes".strip()
    if isinstance(delta, str):
        return f"{_ids(event)} {quoted(delta, 40)}".strip()
    return _ids(event)


def _audio(event: Mapping[str, Any]) -> str:
    audio = event.get("audio")
    if isinstance(audio, Mapping) and "bytes" in audio:
        return f"{audio['bytes']} bytes"
    if isinstance(audio, str):
        return f"{len(audio) * 3 // 4} bytes"
    return ""


_DETAILS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "session.created": _session,
    "session.updated": _session,
    "session.update": _session,
    "transcription_session.update": _session,
    "transcription_session.updated": _session,
    "conversation.item.added": _item,
    "conversation.item.done": _item,
    "conversation.item.created": _item,
    "conversation.item.create": _item,
    "conversation.item.retrieved": _item,
    "response.output_item.added": _item,
    "response.output_item.done": _item,
    "response.created": _response,
    "response.done": _response,
    "error": _error,
    "input_audio_buffer.append": _audio,
}


def summarize(event: Mapping[str, Any]) -> str:
    """``type details`` for any event (GA, beta, local, or unknown)."""
    kind = str(event.get("type", "?"))
    return f"{kind} {detail(event)}".rstrip()


def detail(event: Mapping[str, Any]) -> str:
    """The part of :func:`summarize` after the event type."""
    kind = str(event.get("type", "?"))
    handler = _DETAILS.get(kind)
    if handler is not None:
        return handler(event)
    if kind.endswith(".delta"):
        return _delta(event)
    if kind == "input_audio_buffer.speech_started":
        return f"{event.get('item_id', '')} at {event.get('audio_start_ms', '?')} ms".strip()
    if kind == "input_audio_buffer.speech_stopped":
        return f"{event.get('item_id', '')} at {event.get('audio_end_ms', '?')} ms".strip()
    if kind in ("conversation.item.truncate", "conversation.item.truncated"):
        return f"{event.get('item_id', '')} audio_end_ms={event.get('audio_end_ms', '?')}"
    if kind.endswith("transcription.completed") or kind.endswith("transcript.done"):
        return f"{_ids(event)} {quoted(event.get('transcript', ''))}".strip()
    if kind.endswith(".failed"):
        return f"{_ids(event)} {_error(event)}".strip()
    if kind in ("response.output_text.done", "response.text.done"):
        return f"{_ids(event)} {quoted(event.get('text', ''))}".strip()
    if kind == "rate_limits.updated":
        limits = event.get("rate_limits")
        if isinstance(limits, list):
            return ", ".join(f"{x.get('name')} {x.get('remaining')}/{x.get('limit')}"
                             for x in limits if isinstance(x, Mapping))
        return ""
    if kind.startswith("local.tool."):
        return _local_tool(event)
    if kind.startswith("local."):
        fields = {k: v for k, v in event.items() if k != "type"}
        return " ".join(f"{k}={clip(str(v), 50)}" for k, v in fields.items())
    return _ids(event)


def _local_tool(event: Mapping[str, Any]) -> str:
    """``local.tool.*``: the call and what happened to it, in one short line."""
    kind = str(event.get("type"))
    if kind == "local.tool.sources":
        tools = event.get("tools") if isinstance(event.get("tools"), list) else []
        servers = event.get("servers") if isinstance(event.get("servers"), list) else []
        names = ", ".join(str(t.get("name")) for t in tools if isinstance(t, Mapping))
        bad = [f"{s.get('name')} {s.get('state')}" for s in servers
               if isinstance(s, Mapping) and s.get("state") != "ready"]
        return (f"{len(tools)} tool(s): {clip(names, 80) or 'none'}"
                + (f"; not ready: {', '.join(bad)}" if bad else ""))
    call = f"{event.get('name', '?')} {event.get('call_id', '')}".strip()
    source = f" ({event['source']})" if event.get("source") else ""
    if kind == "local.tool.finished":
        cut = ", truncated" if event.get("truncated") else ""
        return (f"{call}{source} {event.get('outcome', '?')} in {event.get('duration_ms', '?')} "
                f"ms, {event.get('bytes', '?')} bytes{cut}")
    if kind in ("local.tool.approved", "local.tool.denied"):
        how = event.get("decision") or ""
        return f"{call}{source} by {event.get('by', '?')} {how}".rstrip()
    if kind == "local.tool.skipped":
        return f"{call}{source}: {event.get('reason', '')}"
    return f"{call}{source} {event.get('bytes', '?')} bytes of arguments"


def format_time(t: float | None) -> str:
    """``  12.345`` seconds, fixed width; blanks for logs without times."""
    return " " * 8 if t is None else f"{t:8.3f}"


def summary_line(t: float | None, direction: str, event: Mapping[str, Any]) -> str:
    """The full ``--no-ui`` line: time, arrow, summary (control characters made visible)."""
    return f"{format_time(t)} {arrow(direction)} {printable(summarize(event))}"
