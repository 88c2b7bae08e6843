"""One-line summaries of GPT-Live events (``/v1/live/sessions``), for the same readers as
:mod:`voicechat.eventlog.summary`, which merges these into its table.

GPT-Live's events carry what a reader wants in other fields than Realtime's: timed transcript
fragments (``start_ms``–``end_ms``), delegations by id and target, appends by content and
``delegation_id``, backend work nested in ``response.event``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

MAX_TEXT = 60


def _clip(text: Any, limit: int = MAX_TEXT) -> str:
    flat = " ".join(str(text).split())
    return json.dumps(flat if len(flat) <= limit else flat[: limit - 1] + "…",
                      ensure_ascii=False)


def _start(event: Mapping[str, Any]) -> str:
    session = event.get("session")
    if not isinstance(session, Mapping):
        return ""
    parts = [str(session.get("model", "?"))]
    if isinstance(session.get("id"), str):
        parts.insert(0, session["id"])
    delegation = session.get("delegation")
    if isinstance(delegation, Mapping):
        parts.append(f"delegation={delegation.get('type', '?')}")
    voice = session.get("audio", {}).get("output", {}) if isinstance(
        session.get("audio"), Mapping) else {}
    if isinstance(voice, Mapping) and voice.get("voice"):
        parts.append(f"voice={voice['voice']}")
    return " ".join(parts)


def _fragment(event: Mapping[str, Any]) -> str:
    return (f"{event.get('start_ms', '?')}-{event.get('end_ms', '?')} ms "
            f"{_clip(event.get('delta', ''), 40)}")


def _audio(event: Mapping[str, Any]) -> str:
    data = event.get("delta", event.get("audio"))
    if isinstance(data, Mapping) and "bytes" in data:
        return f"{data['bytes']} bytes"
    return f"{len(data) * 3 // 4} bytes" if isinstance(data, str) else ""


def _append(event: Mapping[str, Any]) -> str:
    task = event.get("delegation_id")
    where = f"for {task} " if isinstance(task, str) else ""
    return f"{where}{_clip(event.get('content', ''))}"


def _appended(event: Mapping[str, Any]) -> str:
    return f"{event.get('client_event_id') or ''} at {event.get('start_ms', '?')} ms".strip()


def _delegation(event: Mapping[str, Any]) -> str:
    delegation = event.get("delegation")
    if not isinstance(delegation, Mapping):
        return ""
    response = f" {delegation['response_id']}" if delegation.get("response_id") else ""
    return (f"{delegation.get('id', '?')} → {delegation.get('target', '?')}{response} "
            f"at {event.get('offset_ms', '?')} ms")


def _response_event(event: Mapping[str, Any]) -> str:
    nested = event.get("event")
    kind = nested.get("type", "?") if isinstance(nested, Mapping) else "?"
    task = event.get("delegation_id") or "-"
    extra = ""
    if isinstance(nested, Mapping):
        item = nested.get("item")
        if isinstance(item, Mapping) and item.get("type") == "function_call":
            extra = f" {item.get('name', '?')} {item.get('call_id', '')}"
    return f"{task}: {kind}{extra}"


def _item_create(event: Mapping[str, Any]) -> str:
    item = event.get("item")
    if not isinstance(item, Mapping):
        return ""
    if item.get("type") == "function_call_output":
        return f"function_call_output {item.get('call_id', '?')} {_clip(item.get('output'))}"
    return str(item.get("type", "?"))


def _usage(event: Mapping[str, Any]) -> str:
    usage = event.get("usage")
    seconds = usage.get("seconds") if isinstance(usage, Mapping) else None
    window = event.get("context_window")
    ratio = window.get("usage_ratio") if isinstance(window, Mapping) else None
    text = f"{seconds} s" if seconds is not None else ""
    return text + (f", context {ratio:.0%}" if isinstance(ratio, int | float) else "")


def _closed(event: Mapping[str, Any]) -> str:
    return f"{event.get('reason', '?')} {_usage(event)}".strip()


def _info(event: Mapping[str, Any]) -> str:
    return f"{event.get('code', '')}: {_clip(event.get('message', ''), 90)}"


LIVE_DETAILS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "session.start": _start,
    "session.started": _start,
    "session.input_transcript.delta": _fragment,
    "session.output_transcript.delta": _fragment,
    "session.output_audio.delta": _audio,
    "session.input_audio.append": _audio,
    "session.instructions.append": _append,
    "session.thinking.append": _append,
    "session.commentary.append": _append,
    "session.instructions.appended": _appended,
    "session.thinking.appended": _appended,
    "session.commentary.appended": _appended,
    "session.delegation.created": _delegation,
    "response.event": _response_event,
    "response.item.create": _item_create,
    "session.usage.updated": _usage,
    "session.closed": _closed,
    "info": _info,
}

#: GPT-Live's floods: the mic stream and the output stream (both continuous, silence included).
LIVE_QUIET_TYPES = frozenset({"session.input_audio.append", "session.output_audio.delta"})
