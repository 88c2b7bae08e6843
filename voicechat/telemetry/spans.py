"""What one timed turn or barge-in becomes as spans: plain values, no SDK (sans-IO).

Why a plan before the SDK: the shape of a trace (names, times, attributes, the parent of each
span) is the part worth testing and reviewing, and it should not need the ``otel`` extra to be
read. :mod:`voicechat.telemetry.trace` replays a plan into the SDK with explicit times.

Names follow the OpenTelemetry GenAI semantic conventions where they fit (the turn is the
model's answer to the conversation: ``gen_ai.operation.name = chat``, ``gen_ai.response.id``,
``gen_ai.response.time_to_first_chunk``; a tool call is an ``execute_tool`` span with
``gen_ai.tool.*``) and ``voicechat.*`` elsewhere (the latency figures, the stages, barge-ins).

Times: every span lies on the session's clock (seconds since the session started, the
records' ``t``). A turn span starts when the user stopped speaking (its end as the log shows it,
less the server VAD's silence wait where known) and ends with the answer (its ``response.done``
or the first audio played, whichever is later); its children are the stages at the times they
happened. The ``model`` stage runs from the response's creation to the first audio; its
``voicechat.stage.ms`` is the model's own share, tool calls inside it taken out (the
timeline's figure), while the tool calls are their own spans.

Privacy: nothing here reads content. Transcripts and tool arguments arrive only through
:class:`TurnContent`, which the caller fills only when the user opted in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from voicechat.latency.model import BargeIn, Stage, TurnLatency

AttrValue = str | bool | int | float
Attributes = dict[str, AttrValue]

TURN_SPAN = "voicechat.turn"
STAGE_SPAN = "voicechat.stage"
BARGE_SPAN = "voicechat.barge_in"
TOOL_SPAN = "execute_tool"
FIRST_AUDIO = "voicechat.turn.first_audio_ms"


@dataclass(frozen=True)
class SpanPlan:
    """One span to write: its name, times on the session clock, attributes and children."""

    name: str
    start_t: float
    end_t: float
    attributes: Attributes
    kind: Literal["internal", "client"] = "internal"
    children: tuple[SpanPlan, ...] = ()


@dataclass
class TurnContent:
    """What was said in one turn and what the tools got and gave (only with the opt-in)."""

    user: list[str] = field(default_factory=list)
    assistant: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    tool_arguments: dict[str, str] = field(default_factory=dict)  # by call id
    tool_results: dict[str, str] = field(default_factory=dict)


def turn_plan(turn: TurnLatency, index: int, common: Mapping[str, AttrValue],
              content: TurnContent | None = None) -> SpanPlan:
    """The turn span and its children (stages, tool calls)."""
    end = turn.end_t
    first_audio = end + turn.first_audio_ms / 1000.0
    start = end - (turn.vad_wait_ms or 0.0) / 1000.0
    stop = max([first_audio, *(end + ms / 1000.0 for ms in (turn.done_ms, turn.played_ms)
                               if ms is not None)])
    children: list[SpanPlan] = []
    if turn.vad_wait_ms:
        children.append(_stage(Stage("VAD", turn.vad_wait_ms), start, end))
    mark = end
    for stage in turn.stages:
        if stage.name in ("commit", "response"):
            children.append(_stage(stage, mark, mark + stage.ms / 1000.0))
            mark += stage.ms / 1000.0
        elif stage.name == "model":
            children.append(_stage(stage, min(mark, first_audio), first_audio))
    if turn.played_ms is not None and turn.playback_ms is not None:
        children.append(_stage(Stage("network+buffer", turn.playback_ms), first_audio,
                               end + turn.played_ms / 1000.0))
    for tool in turn.tools:
        tool_start = end + tool.start_ms / 1000.0
        tool_end = tool_start + tool.ms / 1000.0 if tool.ms is not None else max(tool_start, stop)
        attrs: Attributes = {"gen_ai.operation.name": "execute_tool",
                             "gen_ai.tool.name": tool.name, "gen_ai.tool.call.id": tool.call_id,
                             "gen_ai.tool.type": "function",
                             "voicechat.tool.answered": tool.ms is not None}
        if tool.ms is not None:
            attrs["voicechat.tool.ms"] = round(tool.ms, 1)
        if content is not None:
            if tool.call_id in content.tool_arguments:
                attrs["gen_ai.tool.call.arguments"] = content.tool_arguments[tool.call_id]
            if tool.call_id in content.tool_results:
                attrs["gen_ai.tool.call.result"] = content.tool_results[tool.call_id]
        children.append(SpanPlan(f"{TOOL_SPAN} {tool.name}", tool_start, tool_end, attrs))
    dominant = turn.dominant()
    attrs = {**common, "gen_ai.operation.name": "chat",
             "gen_ai.response.time_to_first_chunk": round(turn.first_audio_ms / 1000.0, 4),
             "voicechat.turn.index": index, "voicechat.turn.end": turn.end_kind,
             "voicechat.turn.clock": turn.clock, "voicechat.transport": turn.transport,
             FIRST_AUDIO: round(turn.first_audio_ms, 1),
             "voicechat.turn.heard_ms": round(turn.heard_ms, 1),
             "voicechat.turn.tool_calls": len(turn.tools)}
    if turn.response_id:
        attrs["gen_ai.response.id"] = turn.response_id
    for key, value in (("vad_wait_ms", turn.vad_wait_ms), ("first_text_ms", turn.first_text_ms),
                       ("played_ms", turn.played_ms), ("playback_ms", turn.playback_ms),
                       ("done_ms", turn.done_ms)):
        if value is not None:
            attrs[f"voicechat.turn.{key}"] = round(value, 1)
    if turn.vad_note:
        attrs["voicechat.turn.vad_note"] = turn.vad_note
    if dominant is not None:
        attrs["voicechat.turn.dominant_stage"] = dominant.name
    if content is not None:
        _content_attributes(attrs, content)
    return SpanPlan(TURN_SPAN, start, stop, attrs, "client", tuple(children))


def barge_plan(barge: BargeIn) -> SpanPlan:
    """An interruption: from the onset of the user's speech to the last step seen (the
    speaker paused, the barge-in action, the server's cancellation)."""
    figures = {"paused_ms": barge.paused_ms, "action_ms": barge.action_ms,
               "cancelled_ms": barge.cancelled_ms}
    attrs: Attributes = {"voicechat.barge_in.onset": barge.onset_from}
    attrs.update({f"voicechat.barge_in.{key}": round(value, 1)
                  for key, value in figures.items() if value is not None})
    if barge.response_id:
        attrs["gen_ai.response.id"] = barge.response_id
    last = max((value for value in figures.values() if value is not None), default=0.0)
    return SpanPlan(BARGE_SPAN, barge.onset_t, barge.onset_t + last / 1000.0, attrs)


def _stage(stage: Stage, start: float, end: float) -> SpanPlan:
    return SpanPlan(f"{STAGE_SPAN} {stage.name}", start, max(start, end),
                    {"voicechat.stage.name": stage.name, "voicechat.stage.ms": round(stage.ms, 1)})


def _content_attributes(attrs: Attributes, content: TurnContent) -> None:
    """GenAI's opt-in ``gen_ai.input.messages`` / ``gen_ai.output.messages`` (JSON, the
    conventions' message shape)."""
    if content.user:
        attrs["gen_ai.input.messages"] = json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": text}]}
             for text in content.user], ensure_ascii=False)
    if content.assistant:
        message: dict[str, object] = {
            "role": "assistant",
            "parts": [{"type": "text", "content": " ".join(content.assistant)}]}
        if content.finish_reason:
            message["finish_reason"] = content.finish_reason
        attrs["gen_ai.output.messages"] = json.dumps([message], ensure_ascii=False)
