"""Hypothesis strategies for whole event logs: the doctor's and the reader's equivalence tests.

The logs mix our records, bare events, other loggers' wrappers and junk, in both dialects, with
the event types the rules read and types nothing reads, ids that repeat (so responses open and
close, errors answer client events) and now and then something credential-shaped, so the
reader's fast paths and the doctor's stubs meet every case their exactness depends on.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from voicechat.doctor.context import Context
from voicechat.doctor.rules import RULES
from voicechat.eventlog.dialects import READS_CONTENT
from voicechat.protocol.mapping import BETA_TO_GA_SERVER_NAMES

_READ = set().union(*(rule.feeds_on or set() for rule in RULES)) | Context.READS | READS_CONTENT
_UNREAD = {"response.output_audio.done", "response.output_audio_transcript.done",
           "response.content_part.added", "response.output_item.done", "conversation.item.deleted",
           "output_audio_buffer.started", "local.turn.note", "session.close",
           "input_audio_buffer.cleared", "response.function_call_arguments.delta"}
TYPES = sorted(_READ | _UNREAD | set(BETA_TO_GA_SERVER_NAMES)
               | set(BETA_TO_GA_SERVER_NAMES.values()))

_IDS = st.sampled_from(["resp_1", "resp_2", "item_1", "evt_1", "evt_2", "sk-abcdefghij12",
                        "ek_live_secret99"])
_TEXT = st.sampled_from(["", "hello", "already has an active response resp_1",
                         "no active response", "Bearer abcdefghijk", "https://u:pw@host/x",
                         "key=value", "\u00e9t\u00e9"])
_CODES = st.sampled_from(["conversation_already_has_active_response",
                          "response_cancel_not_active", "session_expired",
                          "input_audio_buffer_commit_empty", "rate_limit_exceeded", "invalid_value",
                          None])
_SESSION = st.one_of(
    st.fixed_dictionaries({"type": st.just("realtime")}, optional={
        "audio": st.fixed_dictionaries({"input": st.fixed_dictionaries({}, optional={
            "turn_detection": st.fixed_dictionaries({"type": st.just("server_vad")}, optional={
                "threshold": st.sampled_from([0.2, 0.5]),
                "silence_duration_ms": st.sampled_from([100, 500])}),
            "transcription": st.one_of(st.none(), st.just({"model": "whisper-1"}))})})}),
    st.fixed_dictionaries({"modalities": st.just(["audio", "text"])}, optional={
        "turn_detection": st.just({"type": "server_vad", "threshold": 0.3}),
        "input_audio_transcription": st.none()}),
)
_CALL_IDS = st.sampled_from(["call_1", "call_2", "item_1", "mcpr_1"])
#: Tool-turn items (issue 27): calls, outputs and MCP approvals that name repeating ids.
_ITEMS = st.one_of(
    st.fixed_dictionaries({"id": _IDS, "type": st.just("message")}, optional={
        "role": st.sampled_from(["user", "assistant"]),
        "content": st.just([{"type": "input_audio", "transcript": None}])}),
    st.fixed_dictionaries({"id": _IDS, "type": st.just("function_call"), "call_id": _CALL_IDS},
                          optional={"name": st.just("get_weather"),
                                    "status": st.sampled_from(["completed", "incomplete"])}),
    st.fixed_dictionaries({"type": st.just("function_call_output"), "call_id": _CALL_IDS,
                           "output": _TEXT}),
    st.fixed_dictionaries({"id": st.just("mcpr_1"), "type": st.just("mcp_approval_request")},
                          optional={"server_label": st.just("crm"), "name": st.just("t")}),
    st.fixed_dictionaries({"type": st.just("mcp_approval_response"),
                           "approval_request_id": _CALL_IDS, "approve": st.booleans()}),
)
_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "event_id": _IDS,
    "response_id": _IDS,
    "item_id": _IDS,
    "delta": st.one_of(_TEXT, st.just("AAAAAAAA"), st.just({"bytes": 9600})),
    "audio": st.one_of(st.just("AAAA"), st.just({"bytes": 4800})),
    "audio_start_ms": st.integers(0, 5000),
    "audio_end_ms": st.integers(0, 5000),
    "transcript": _TEXT,
    "state": st.sampled_from(["connected", "closed", "failed", "reconnecting"]),
    "detail": _TEXT,
    "reason": _TEXT,
    "session": _SESSION,
    "response": st.fixed_dictionaries({"id": _IDS}, optional={
        "status": st.sampled_from(["in_progress", "completed", "cancelled"]),
        "status_details": st.sampled_from([{"reason": "client_cancelled"},
                                           {"reason": "turn_detected"}]),
        "modalities": st.just(["text"]), "output_modalities": st.just(["text"]),
        "conversation": st.sampled_from(["none", "auto"]),
        "conversation_id": st.sampled_from([None, "conv_1"]),
        "output": st.lists(_ITEMS, max_size=2)}),
    "error": st.fixed_dictionaries({"type": st.just("invalid_request_error")}, optional={
        "code": _CODES, "message": _TEXT, "param": st.sampled_from(["session.voice", None]),
        "event_id": _IDS}),
    "item": _ITEMS,
    "call_id": _CALL_IDS,
    "name": st.just("get_weather"),
    "rate_limits": st.just([{"name": "tokens", "limit": 10, "remaining": 0,
                             "reset_seconds": 2.0}]),
}


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {"type": draw(st.sampled_from(TYPES))}
    for key in draw(st.lists(st.sampled_from(sorted(_FIELDS)), max_size=4, unique=True)):
        event[key] = draw(_FIELDS[key])
    return event


def _stamp(t: float) -> str:
    minutes, seconds = divmod(t, 60.0)
    return f"2026-11-21T10:{int(minutes) % 60:02d}:{seconds:06.3f}Z"


@st.composite
def lines(draw: st.DrawFn, t: float) -> str:
    event = draw(events())
    shape = draw(st.sampled_from(["ours"] * 6 + ["ours-odd", "bare", "wrapper", "junk", "blank"]))
    if shape == "ours":
        direction = draw(st.sampled_from(["in", "out", "local"]))
        return json.dumps({"t": t, "ts": _stamp(t), "dir": direction,
                           "event": event}, separators=(",", ":"))
    if shape == "ours-odd":  # what the generic path must take: int t, a wrapper word, no ts
        record: dict[str, Any] = {"t": draw(st.sampled_from([int(t), True, "1.5"])),
                                  "dir": draw(st.sampled_from(["IN", "sent", "server", None])),
                                  "event": event}
        if draw(st.booleans()):
            record["type"] = draw(st.sampled_from(["note", "response.done"]))
        return json.dumps(record)
    if shape == "bare":
        return json.dumps(event)
    if shape == "wrapper":
        return json.dumps({"direction": draw(st.sampled_from(["recv", "send"])),
                           "timestamp": draw(st.sampled_from([_stamp(t), "2026-11-21T10:00:60Z"])),
                           "data": event})
    if shape == "junk":
        return draw(st.sampled_from(["{not json", "plain text", '{"event": 3}', "[1, 2]"]))
    return ""


@st.composite
def logs(draw: st.DrawFn) -> str:
    """A whole log: up to 60 lines with rising times, sometimes torn at the end."""
    count = draw(st.integers(0, 60))
    steps = draw(st.lists(st.sampled_from([0.0, 0.05, 0.5, 3.0, 12.0]), min_size=count,
                          max_size=count))
    out, t = [], 0.0
    for step in steps:
        t = round(t + step, 3)
        out.append(draw(lines(t)))
    text = "\n".join(out) + "\n"
    if draw(st.booleans()) and len(text) > 10:
        text = text[:-draw(st.integers(2, 10))]  # torn last line
    return text
