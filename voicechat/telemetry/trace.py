"""One session's trace: records in, spans out (written with explicit times, after the fact).

Why after the fact: a turn's figures are known only once its answer is done (the timeline
reports it at ``response.done`` or the first audio played), so each span is started and ended
at once with the times the records carried, converted from the session clock (``t``, seconds
since the session started) to wall time with the session's start. Nothing here blocks: ending
a span hands it to the batch processor's bounded queue, and the export runs on its thread.

One trace per session: the root span opens with :meth:`Telemetry.session` and closes with
:meth:`SessionTrace.end`; turns are its children, and a barge-in is a child of the turn it
interrupted (kept by response id; one whose turn never came is a child of the session).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.trace import Span, SpanKind, Tracer

from voicechat.eventlog.record import Direction
from voicechat.latency.model import BargeIn, TurnLatency, summarize
from voicechat.latency.records import RecordTimeline
from voicechat.protocol.secrets import redact_text
from voicechat.telemetry.content import ContentCollector
from voicechat.telemetry.spans import (
    Attributes,
    AttrValue,
    SpanPlan,
    barge_plan,
    turn_plan,
)

#: The session attributes a turn span repeats (GenAI backends read them per span).
_SHARED = ("gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model", "server.address",
           "server.port", "gen_ai.conversation.id")
#: Turns remembered for a late barge-in, and barge-ins waiting for their turn, at most.
_KEPT_TURNS = 32
_WAITING_BARGES = 16


class SessionTrace:
    """The spans of one session; feed it every record, then :meth:`end` it once."""

    def __init__(self, tracer: Tracer, name: str, attributes: Mapping[str, Any],
                 started_at_epoch_s: float, *, content: bool,
                 notify: Callable[[str], None] | None = None) -> None:
        self._tracer = tracer
        self._notify = notify
        self._t0 = started_at_epoch_s
        self._common = _clean(attributes)
        self._root = tracer.start_span(name, kind=SpanKind.INTERNAL,
                                       attributes=self._common, start_time=self._ns(0.0))
        self._root_ctx = trace_api.set_span_in_context(self._root)
        self._timeline = RecordTimeline()
        self._content = ContentCollector() if content else None
        self._turns: OrderedDict[str, Span] = OrderedDict()
        self._waiting: list[BargeIn] = []
        self._first_audio: list[float] = []
        self._barge_ins = 0
        self._ended = False

    def on_record(self, t: float, direction: Direction, event: dict[str, Any]) -> None:
        """One record of the session (``t``: seconds since its start; the event as it crossed
        the wire, or a ``local.*`` record). Cheap: spans are written only when a turn ends."""
        if self._ended:
            return
        try:
            kind = event.get("type")
            if kind == "session.created" and direction == "in":
                self._conversation_id(event.get("session"))
            if self._content is not None:
                self._content.feed(direction, event)
            for result in self._timeline.feed(t, direction, event):
                self._write(result)
        except Exception as exc:  # a trace must never break the session it watches
            self._give_up(exc)

    def end(self, t: float) -> None:
        """The session is over: an answered turn still open is written, then the root span
        ends at ``t`` with the session's figures."""
        if self._ended:
            return
        try:
            self._end(t)
        except Exception as exc:
            self._give_up(exc)

    def _give_up(self, exc: Exception) -> None:
        """Stop tracing this session (its root span ends now) and say so once."""
        self._ended = True
        try:
            self._root.end()
        finally:
            if self._notify is not None:
                self._notify(f"OpenTelemetry: this session's trace stopped "
                             f"({type(exc).__name__}: {redact_text(str(exc))[:200]}); the "
                             "conversation goes on")

    def _end(self, t: float) -> None:
        for result in self._timeline.finish():
            self._write(result)
        for barge in self._waiting:
            self._emit(barge_plan(barge), self._root_ctx)
        self._waiting.clear()
        summary = summarize(self._first_audio)
        self._root.set_attribute("voicechat.session.turns", len(self._first_audio))
        self._root.set_attribute("voicechat.session.barge_ins", self._barge_ins)
        if summary is not None:
            self._root.set_attribute("voicechat.session.first_audio_ms.p50", summary.p50)
            self._root.set_attribute("voicechat.session.first_audio_ms.p95", summary.p95)
            self._root.set_attribute("voicechat.session.first_audio_ms.max", summary.max)
        self._root.end(end_time=self._ns(max(0.0, t)))
        self._ended = True

    # --- writing -------------------------------------------------------------------------

    def _write(self, result: TurnLatency | BargeIn) -> None:
        if isinstance(result, BargeIn):
            self._barge_ins += 1
            parent = self._turns.get(result.response_id or "")
            if parent is None:
                self._waiting.append(result)
                if len(self._waiting) > _WAITING_BARGES:  # its turn will not come now
                    self._emit(barge_plan(self._waiting.pop(0)), self._root_ctx)
            else:
                self._emit(barge_plan(result), trace_api.set_span_in_context(parent))
            return
        self._first_audio.append(result.first_audio_ms)
        common = {key: value for key, value in self._common.items() if key in _SHARED}
        content = self._content.take(result) if self._content is not None else None
        span = self._emit(turn_plan(result, len(self._first_audio), common, content),
                          self._root_ctx)
        rid = result.response_id
        if rid:
            self._turns[rid] = span
            while len(self._turns) > _KEPT_TURNS:
                self._turns.popitem(last=False)
            waiting = [b for b in self._waiting if b.response_id == rid]
            self._waiting = [b for b in self._waiting if b.response_id != rid]
            for barge in waiting:
                self._emit(barge_plan(barge), trace_api.set_span_in_context(span))

    def _emit(self, plan: SpanPlan, parent: Any) -> Span:
        span = self._tracer.start_span(
            plan.name, context=parent,
            kind=SpanKind.CLIENT if plan.kind == "client" else SpanKind.INTERNAL,
            attributes=_clean(plan.attributes), start_time=self._ns(plan.start_t))
        context = trace_api.set_span_in_context(span)
        for child in plan.children:
            self._emit(child, context)
        span.end(end_time=self._ns(plan.end_t))
        return span

    def _conversation_id(self, session: Any) -> None:
        sid = session.get("id") if isinstance(session, Mapping) else None
        if isinstance(sid, str) and sid:
            self._common["gen_ai.conversation.id"] = redact_text(sid)
            self._root.set_attribute("gen_ai.conversation.id", redact_text(sid))

    def _ns(self, t: float) -> int:
        return int((self._t0 + t) * 1e9)


def _clean(attributes: Mapping[str, Any]) -> Attributes:
    """Only values OpenTelemetry takes, and every string with its secrets masked: no
    credential reaches a backend, whatever a caller or an event put in."""
    out: Attributes = {}
    for key, value in attributes.items():
        cleaned = _value(value)
        if cleaned is not None:
            out[str(key)] = cleaned
    return out


def _value(value: Any) -> AttrValue | None:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bool | int | float):
        return value
    return None
