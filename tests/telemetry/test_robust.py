"""Whatever a session's records hold, a trace never raises into the audio path, and notices
reach the caller's event loop, not the export thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.telemetry.streams import session_records
from voicechat.latency.records import RecordTimeline
from voicechat.telemetry.export import start_export
from voicechat.telemetry.settings import TelemetrySettings

SETTINGS = TelemetrySettings(endpoint="http://127.0.0.1:9/v1/traces", protocol="http/protobuf",
                             service_name="voicechat", content=True, origin="test")

_types = st.sampled_from([
    "session.created", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
    "response.created", "response.output_audio.delta", "response.done",
    "response.output_item.done", "conversation.item.create", "response.create",
    "conversation.item.input_audio_transcription.completed",
    "response.output_audio_transcript.done", "local.bargein.paused", "response.cancel",
    "input_audio_buffer.speech_started", "local.playback.started"])
_values = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=4), st.floats(),
                    st.lists(st.integers(), max_size=2), st.just({"id": "r1"}))
_records = st.lists(st.tuples(
    st.floats(0, 50), st.sampled_from(["in", "out", "local"]),
    st.fixed_dictionaries({"type": _types}, optional={
        "response_id": st.sampled_from(["r1", "r2"]), "response": _values, "item": st.one_of(
            _values, st.fixed_dictionaries({}, optional={
                "type": st.sampled_from(["function_call", "function_call_output", "message"]),
                "call_id": st.sampled_from(["c1", 3]), "name": _values, "arguments": _values,
                "output": _values, "role": st.just("user"), "content": _values})),
        "transcript": _values, "session": _values, "speech_ms": _values})), max_size=30)


@settings(max_examples=150, deadline=None)
@given(_records)
def test_any_records_make_a_trace_and_never_raise(records: list[Any]) -> None:
    memory = InMemorySpanExporter()
    notices: list[str] = []
    tel = start_export(SETTINGS, notices.append, exporter=memory)
    trace = tel.session("s", {"bad": object(), "list": [1], "ok": "sk-abcdefghijkl"}, 1.7e9)
    for t, direction, event in sorted(records, key=lambda r: r[0]):
        trace.on_record(t, direction, event)
    trace.end(60.0)
    tel.shutdown(10.0)
    spans = memory.get_finished_spans()
    assert len({span.context.trace_id for span in spans}) == 1
    root = [span for span in spans if span.parent is None]
    assert len(root) == 1 and root[0].attributes is not None
    assert root[0].attributes["ok"] == "[redacted]" and "bad" not in root[0].attributes
    assert notices == []  # the trace did not give up on an error of its own


def test_an_error_inside_the_trace_stops_it_with_a_notice_not_an_exception(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> list[Any]:
        raise ValueError("a bug in the timeline")

    notices: list[str] = []
    tel = start_export(SETTINGS, notices.append, exporter=InMemorySpanExporter())
    trace = tel.session("s", {}, 1.7e9)
    monkeypatch.setattr(RecordTimeline, "feed", broken)
    for t, direction, event in session_records():
        trace.on_record(t, direction, event)  # type: ignore[arg-type]
    trace.end(12.0)
    tel.shutdown(10.0)
    assert len(notices) == 1 and "a bug in the timeline" in notices[0]


class _Refusing(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        pass


async def test_a_notice_comes_on_the_loop_that_started_the_export(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2")  # many failing batches
    got: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    tel = start_export(SETTINGS, lambda text: got.put_nowait((text, threading.get_ident())),
                       exporter=_Refusing())
    trace = tel.session("s", {}, 1.7e9)
    for t, direction, event in session_records():
        trace.on_record(t, direction, event)  # type: ignore[arg-type]
    trace.end(12.0)
    await asyncio.to_thread(tel.shutdown, 10.0)
    text, thread = await asyncio.wait_for(got.get(), 30.0)
    assert "could not be sent" in text and thread == threading.get_ident()
    await asyncio.sleep(0.2)  # let any further notice land
    assert got.empty()  # one notice, not one per failing batch


def test_a_turn_cut_off_after_its_first_audio_is_still_a_span() -> None:
    """A session that ends between the first audio and ``response.done`` (the log cut, the
    app closed): the timeline reports the turn at the end, with no done or played figure."""
    memory = InMemorySpanExporter()
    tel = start_export(SETTINGS, None, exporter=memory)
    trace = tel.session("s", {}, 1.7e9)
    trace.on_record(1.0, "in", {"type": "input_audio_buffer.speech_stopped"})
    trace.on_record(1.4, "in", {"type": "response.output_audio.delta", "response_id": "r1"})
    trace.end(2.0)
    tel.shutdown(10.0)
    [turn] = [span for span in memory.get_finished_spans() if span.name == "voicechat.turn"]
    assert turn.attributes is not None
    assert round(float(str(turn.attributes["voicechat.turn.first_audio_ms"]))) == 400
    assert turn.end_time == int((1.7e9 + 1.4) * 1e9)
