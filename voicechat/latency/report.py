"""An answered turn's figures, read from the timeline's state of it.

:class:`~voicechat.latency.timeline.TurnTimeline` follows the stream and decides *when* a turn
is done; this module says *what* its figures are (``first_audio_ms`` and the stages that make
it up, the VAD's wait, the tools), so the two can be read apart. Sans-IO, like the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import isfinite
from typing import Any, TypeGuard

from voicechat.latency.model import Stage, ToolSpan, TurnLatency
from voicechat.latency.turn_state import TurnState
from voicechat.protocol.session_audio import DEFAULT_SILENCE_DURATION_MS

#: semantic_vad's longest wait per eagerness (the service's documented maxima; ``auto`` is
#: ``medium``): the wait itself is not in any event, so it is named, not measured.
EAGERNESS_MAX_S = {"low": 8, "medium": 4, "high": 2, "auto": 4}
#: The server VAD's silence wait before the end of a turn (ms), or a note on why it is unknown.
VadFigures = tuple[float | None, str | None]
NO_VAD: VadFigures = (None, None)
_new = tuple.__new__  # see report_turn
#: The longest span a log's own figure may give (a VAD wait, speech counted, audio appended):
#: a day. Past it the figure is a broken log's, and read as one it overflowed the report's
#: rounding (1e308 ms of silence: ``round(inf)``; the doctor's malformed-log property test).
LONGEST_MS = 86_400_000.0


def report_turn(turn: TurnState, vad: VadFigures, *, webrtc: bool) -> TurnLatency:
    """The figures of an answered turn (it has its first audio): ``vad`` is the server VAD's
    wait and note as the session's settings give them (:func:`vad_figures`), ``webrtc`` the
    transport the stream showed."""
    first_audio = turn.first_audio
    assert first_audio is not None  # only answered turns are reported
    end = mark = turn.end
    stages: list[Stage] = []
    # each result built with the tuple's own __new__: a named tuple's generated __new__
    # is a Python call in front of it, which doubled the cost of building them here
    # (once per answered turn in the session core: bench/bench_core.py)
    for name, moment in (("commit", turn.committed), ("response", turn.created),
                         ("previous answer", turn.prior_stop)):
        if moment is not None and mark <= moment <= first_audio:
            stages.append(_new(Stage, (name, (moment - mark) * 1000.0)))
            mark = moment
    spans: tuple[ToolSpan, ...] = ()
    model = (first_audio - mark) * 1000.0
    if turn.tools:
        spans, tool_stages = tool_spans(turn, end, first_audio)
        for stage in tool_stages:
            stages.append(stage)
            model -= stage.ms
    stages.append(_new(Stage, ("model", model if model > 0.0 else 0.0)))
    vad_wait, vad_note = vad if turn.kind == "speech_stopped" else NO_VAD
    first_text, played, done = turn.first_text, turn.played, turn.done
    return _new(TurnLatency, (  # the fields in order
        turn.audio_response,  # response_id
        turn.kind,  # end_kind
        end,  # end_t
        ms_after(first_audio, end),  # first_audio_ms
        tuple(stages),
        turn.clock,
        vad_wait,  # vad_wait_ms
        vad_note,
        None if first_text is None else ms_after(first_text, end),  # first_text_ms
        None if played is None else ms_after(played, end),  # played_ms
        None if done is None else ms_after(done, end),  # done_ms
        spans,  # tools
        "webrtc" if webrtc else "websocket",  # transport
        turn.items.get(turn.audio_response or ""),  # item_id
    ))


def tool_spans(turn: TurnState, end: float, first_audio: float
               ) -> tuple[tuple[ToolSpan, ...], list[Stage]]:
    """A turn's tool calls, and the stages of those whose output went before the first audio
    (the app ran the tool while the user waited)."""
    spans: list[ToolSpan] = []
    stages: list[Stage] = []
    for call_id, tool in turn.tools.items():
        took = None if tool.end is None else ms_after(tool.end, tool.start)
        spans.append(ToolSpan(tool.name, call_id, ms_after(tool.start, end), took))
        if took is not None and tool.end is not None and tool.end <= first_audio:
            stages.append(Stage(f"tool {tool.name}", took))
    return tuple(spans), stages


def vad_figures(vad: Mapping[str, Any] | None) -> VadFigures:
    """The server VAD's wait before the end of a turn it detects, or why it is not known."""
    if vad is None:
        return None, "the VAD's settings are not in the log"
    if vad.get("type") == "semantic_vad":
        eagerness = vad.get("eagerness")
        eagerness = eagerness if isinstance(eagerness, str) else "auto"
        longest = EAGERNESS_MAX_S.get(eagerness)
        limit = f": waits up to {longest} s" if longest else ""
        return None, f"semantic_vad, eagerness {eagerness}{limit}, not in the log"
    silence = vad.get("silence_duration_ms")
    if not span_ms(silence):
        silence = DEFAULT_SILENCE_DURATION_MS
    return float(silence), None


def ms_after(later: float, earlier: float) -> float:
    """Milliseconds from ``earlier`` to ``later``, never below zero (without ``max``'s
    argument parsing: this runs a dozen times a turn)."""
    ms = (later - earlier) * 1000.0
    return ms if ms > 0.0 else 0.0


def is_timed(turn: TurnState) -> bool:
    """The turn has its first audio, and a clock that ran until it: on the mic's audio clock
    (a log without times) a client that stops its mic after the commit (push-to-talk) leaves
    no clock at all between the end and the answer, and 0 ms would be a lie."""
    if turn.first_audio is None:
        return False
    return turn.clock == "wall" or turn.first_audio > turn.end


def number(value: Any) -> TypeGuard[float]:
    """A finite int or float, not a bool: a figure a log can be trusted to hold."""
    kind = type(value)
    if kind is float or kind is int:  # (what a decoded log holds: the checks below, fewer)
        return isfinite(value)
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and isfinite(value))


def span_ms(value: Any) -> TypeGuard[float]:
    """A span in milliseconds a log can be trusted to hold: a :func:`number` from 0 to
    :data:`LONGEST_MS`."""
    return number(value) and 0 <= value <= LONGEST_MS
