"""One line that says what a Realtime event is about, for people reading an event stream.

Used by the event-flow pane, ``voicechat --no-ui``, ``voicechat replay`` and the observer. Pure
functions over plain dicts (either dialect, already redacted): the type, then the few fields
that identify the event and what changed — item and response ids, VAD positions, transcripts,
error codes, a tool call's name, arguments, call id and output — never a payload dump.

What one event cannot say (how long a tool took to answer, which MCP tool an ``item_id`` is),
:class:`~voicechat.eventlog.summarizer.Summarizer` remembers across one stream's events.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from voicechat.eventlog.gemini_summary import GEMINI_DETAILS, GEMINI_QUIET_TYPES
from voicechat.eventlog.live_summary import LIVE_DETAILS, LIVE_QUIET_TYPES
from voicechat.protocol.pricing import tokens_from_usage, tokens_line
from voicechat.protocol.secrets import redact_text
from voicechat.protocol.text import printable

ARROWS: Mapping[str, str] = {"in": "←", "out": "→", "local": "·"}
MAX_TEXT = 60
#: Flood events (audio, deltas, rate limits) that line-per-event output leaves out.
QUIET_TYPES = frozenset(
    {"input_audio_buffer.append", "response.output_audio.delta", "response.audio.delta",
     "response.output_audio_transcript.delta", "response.audio_transcript.delta",
     "response.output_text.delta", "response.text.delta",
     "conversation.item.input_audio_transcription.delta", "rate_limits.updated",
     "response.function_call_arguments.delta", "response.mcp_call_arguments.delta"}
) | LIVE_QUIET_TYPES | GEMINI_QUIET_TYPES


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
    return kind.endswith(".delta") or kind in ("input_audio_buffer.append",
                                               "session.input_audio.append")


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
    kind = item.get("type")
    tool = _TOOL_ITEMS.get(kind) if isinstance(kind, str) else None
    if tool is not None:  # what it is first: a narrow pane crops the end
        if kind == "mcp_list_tools" and not item.get("tools") and event.get("type") in ADDED_EVENTS:
            # Whether the item carries the tools when it is added is not documented
            # (realtime-tools.md §5.2-5.3, unverified): an empty list there is no finding yet,
            # at .done it is (F11), so it is not called "0 tools" here.
            return f"mcp {name_text(item.get('server_label'))}: listing tools " \
                   f"{item.get('id', '')}".strip()
        return f"{tool(item)} {item.get('id', '')}".strip()
    parts = [str(item.get("id", ""))]
    role = item.get("role")
    parts.append(str(role or kind or ""))
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
    calls = _calls_in(response.get("output"))
    if calls:
        parts.append(f"· {calls}")
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


# --- tool calls: function calls and hosted MCP ----------------------------------------------

MAX_ARGUMENTS = 80
MAX_OUTPUT = 60
MAX_ID = 40


def _size(text: str) -> str:
    return f"{len(text.encode('utf-8', 'surrogatepass'))} bytes"


def _head(text: str, limit: int) -> tuple[str, bool]:
    """The first ``limit`` characters of ``text`` on one line, secrets masked; and whether it
    was cut. Only a bounded head is looked at (arguments can be megabytes), long enough that a
    key starting inside what is shown is still whole enough to be recognised and masked."""
    head = text[: 2 * limit + 64]
    shown = redact_text(" ".join(head.split()))
    if len(shown) <= limit and len(head) == len(text):
        return shown, False
    return shown[: limit - 1] + "…", True


def arguments_text(arguments: Any, limit: int = MAX_ARGUMENTS) -> str:
    """A call's arguments as sent (JSON text, or whatever the model produced), cut to ``limit``
    characters with the full size after a cut: ``{"city":"Paris"}``."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False, default=str)
    shown, cut = _head(arguments, limit)
    return f"{shown} ({_size(arguments)})" if cut else shown


def output_text(output: Any, limit: int = MAX_OUTPUT) -> str:
    """A tool's output quoted and cut, with its full size: ``"sunny, 21 °C" (13 bytes)``. The
    service wants a string; anything else is shown for what it is."""
    if not isinstance(output, str):
        return f"{clip(json.dumps(output, ensure_ascii=False, default=str), limit)} (not a string)"
    shown, _cut = _head(output, limit)
    return f"{json.dumps(shown, ensure_ascii=False)} ({_size(output)})"


def _call_id(value: Any) -> str:
    """A call id to match a call with its output; a missing one is worth saying."""
    return clip(value, MAX_ID) if isinstance(value, str) and value else "no call_id"


def name_text(value: Any) -> str:
    """A tool's or server's name as the wire gave it (``?`` when it did not)."""
    return clip(value, MAX_ID) if isinstance(value, str) and value else "?"


def mcp_tool_text(item: Mapping[str, Any]) -> str:
    """``label.tool``: the server as the session named it, then the tool."""
    return f"{name_text(item.get('server_label'))}.{name_text(item.get('name'))}"


def _function_call(item: Mapping[str, Any]) -> str:
    """``call get_weather {"city":"Paris"} (call_kmnU…) completed`` (items and ``.done``)."""
    parts = ["call", name_text(item.get("name"))]
    arguments = item.get("arguments")
    if arguments:
        parts.append(arguments_text(arguments))
    parts.append(f"({_call_id(item.get('call_id'))})")
    status = item.get("status")
    if isinstance(status, str) and status:
        parts.append(status)
    return " ".join(parts)


def _function_output(item: Mapping[str, Any]) -> str:
    return f"output for {_call_id(item.get('call_id'))}: {output_text(item.get('output'))}"


def mcp_list_text(item: Mapping[str, Any]) -> str:
    """``mcp deepwiki: 2 tools (ask, read)``: zero tools is a finding (realtime-tools.md F11)."""
    tools = item.get("tools")
    label = f"mcp {name_text(item.get('server_label'))}"
    if not isinstance(tools, list):
        return label
    names = [clip(t["name"], 30) for t in tools[:6]
             if isinstance(t, Mapping) and isinstance(t.get("name"), str)]
    more = ", …" if len(tools) > len(names) else ""
    listed = f" ({', '.join(names)}{more})" if names else ""
    return f"{label}: {len(tools)} tool{'' if len(tools) == 1 else 's'}{listed}"


def _mcp_error(error: Any) -> str:
    if not isinstance(error, Mapping):
        return clip(str(error), 90)
    code = error.get("code")
    head = str(error.get("type") or "error") + (f" {code}" if code not in (None, "") else "")
    return f"{head}: {clip(redact_text(str(error.get('message', ''))), 90)}".rstrip(": ")


def _mcp_call(item: Mapping[str, Any]) -> str:
    """``mcp deepwiki.ask {"q":"…"} → "answer" (120 bytes)``, or ``→ error …``."""
    parts = [f"mcp {mcp_tool_text(item)}"]
    arguments = item.get("arguments")
    if arguments:
        parts.append(arguments_text(arguments))
    error = item.get("error")
    if error:
        parts.append(f"→ error {_mcp_error(error)}")
    elif item.get("output") is not None:
        parts.append(f"→ {output_text(item.get('output'))}")
    return " ".join(parts)


def _mcp_approval_request(item: Mapping[str, Any]) -> str:
    arguments = item.get("arguments")
    shown = f" {arguments_text(arguments)}" if arguments else ""
    return f"approval? {mcp_tool_text(item)}{shown}"


def _mcp_approval_response(item: Mapping[str, Any]) -> str:
    approve = item.get("approve")
    verdict = "approved" if approve is True else "denied" if approve is False else "approve=?"
    reason = item.get("reason")
    because = f" ({clip(redact_text(reason), 60)})" if isinstance(reason, str) and reason else ""
    return f"{verdict}{because} for {name_text(item.get('approval_request_id'))}"


_TOOL_ITEMS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "function_call": _function_call,
    "function_call_output": _function_output,
    "mcp_list_tools": mcp_list_text,
    "mcp_call": _mcp_call,
    "mcp_tool_call": _mcp_call,  # an alias the agents SDK accepts (realtime-tools.md §5.4)
    "mcp_approval_request": _mcp_approval_request,
    "mcp_approval_response": _mcp_approval_response,
}


#: Events that announce an item before it is finished.
ADDED_EVENTS = frozenset({"conversation.item.added", "response.output_item.added"})


def tool_item_text(item: Mapping[str, Any]) -> str:
    """What a tool item is (``call …``, ``output for …``, ``mcp …``, ``approval? …``,
    ``approved …``), or ``""`` for any other item."""
    kind = item.get("type")
    tool = _TOOL_ITEMS.get(kind) if isinstance(kind, str) else None
    return tool(item) if tool is not None else ""


def _calls_in(output: Any) -> str:
    """``calls get_weather completed, mcp deepwiki.ask failed`` for a response's output."""
    if not isinstance(output, list):
        return ""
    calls = []
    for item in output:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind == "function_call":
            calls.append(f"{name_text(item.get('name'))} {item.get('status') or '?'}")
        elif kind in ("mcp_call", "mcp_tool_call"):
            status = item.get("status") or ("failed" if item.get("error") else "completed")
            calls.append(f"mcp {mcp_tool_text(item)} {status}")
    return f"calls {', '.join(calls)}" if calls else ""


def _arguments_delta(event: Mapping[str, Any]) -> str:
    """A fragment of a call's arguments (folded in the pane, left out of printed lines)."""
    delta = event.get("delta")
    fragment = quoted(redact_text(delta), 40) if isinstance(delta, str) else ""
    who = event.get("call_id") or event.get("item_id")
    return f"{clip(who, MAX_ID) if isinstance(who, str) else ''} {fragment}".strip()


def _mcp_arguments_done(event: Mapping[str, Any]) -> str:
    arguments = event.get("arguments")
    shown = f"{arguments_text(arguments)} " if arguments else ""
    return f"{shown}({name_text(event.get('item_id'))})"


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
    "response.function_call_arguments.done": _function_call,
    "response.function_call_arguments.delta": _arguments_delta,
    "response.mcp_call_arguments.delta": _arguments_delta,
    "response.mcp_call_arguments.done": _mcp_arguments_done,
    **LIVE_DETAILS,  # GPT-Live: no name is shared with the entries above
    **GEMINI_DETAILS,  # Gemini Live: gemini.<message>, shared with no one
}


def summarize(event: Mapping[str, Any]) -> str:
    """``type details`` for any event (GA, beta, local, or unknown)."""
    kind = str(event.get("type", "?"))
    return f"{kind} {detail(event)}".rstrip()


#: What reading a field of a type no real event has raises (a number where a list was).
MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)
UNREADABLE = "(fields of unexpected types)"


def detail(event: Mapping[str, Any]) -> str:
    """The part of :func:`summarize` after the event type; :data:`UNREADABLE` for an event
    whose fields have types no real one has (a foreign or edited log, a misbehaving server),
    which must not end a replay or a ``--no-ui`` run."""
    try:
        return _detail(event)
    except MALFORMED:
        return UNREADABLE


def _detail(event: Mapping[str, Any]) -> str:
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
