"""Spans at a real OTLP/HTTP receiver: one trace per session, a span per turn with the
timeline's first-audio figure, its stages, tool calls and barge-ins; no content by default."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator

import pytest

from tests.telemetry.receiver import ReceivedSpan, running_receiver
from tests.telemetry.streams import (
    ANSWER,
    KEY,
    SAID,
    TOOL_ARGS,
    TOOL_RESULT,
    TYPED,
    session_records,
)
from voicechat import telemetry
from voicechat.latency import TurnLatency
from voicechat.latency.records import RecordTimeline

T0 = 1_790_000_000.0  # the session's start, wall clock


@pytest.fixture(autouse=True)
def _no_otel_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                 "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
                 "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER",
                 "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"):
        monkeypatch.delenv(name, raising=False)
    yield


def timeline_turns() -> list[TurnLatency]:
    timeline = RecordTimeline()
    out = []
    for t, direction, event in session_records():
        out.extend(timeline.feed(t, direction, event))  # type: ignore[arg-type]
    out.extend(timeline.finish())
    return [r for r in out if isinstance(r, TurnLatency)]


def export_session(env: dict[str, str]) -> tuple[list[ReceivedSpan], telemetry.Started]:
    started = telemetry.start(env=env)
    assert started.notice is None and started.telemetry is not None
    tel = started.telemetry
    attrs = telemetry.session_attributes(model="gpt-realtime", server="openai",
                                         transport="websocket")
    trace = tel.session("voicechat session", attrs, T0)
    for t, direction, event in session_records():
        trace.on_record(t, direction, event)  # type: ignore[arg-type]
    trace.end(12.0)
    tel.shutdown(20.0)
    return [], started


def receive(content: bool = False) -> list[ReceivedSpan]:
    with running_receiver() as receiver:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
        if content:
            env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
        export_session(env)
        spans = receiver.wait_for(1, timeout_s=5.0)
        assert set(receiver.paths) == {"/v1/traces"}
        return spans


def children(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [s for s in spans if s.parent_id == parent.span_id]


def all_strings(spans: list[ReceivedSpan]) -> str:
    return json.dumps([[s.name, s.attributes, s.resource] for s in spans], default=str)


def test_a_session_is_one_trace_with_a_span_per_turn_and_its_parts() -> None:
    spans = receive()
    assert len({s.trace_id for s in spans}) == 1
    [root] = [s for s in spans if not s.parent_id]
    assert root.name == "voicechat session"
    assert root.resource["service.name"] == "voicechat"
    assert root.attributes["gen_ai.provider.name"] == "openai"
    assert root.attributes["gen_ai.request.model"] == "gpt-realtime"
    assert root.attributes["gen_ai.conversation.id"] == "sess_abc"
    assert root.attributes["voicechat.session.turns"] == 3
    assert root.start_ns == int(T0 * 1e9) and root.end_ns == int((T0 + 12.0) * 1e9)

    turns = sorted((s for s in spans if "turn" in s.name), key=lambda s: s.start_ns)
    expected = timeline_turns()
    assert len(turns) == len(expected) == 3
    assert all(t.parent_id == root.span_id for t in turns)
    for span, turn in zip(turns, expected, strict=True):
        keys = [k for k in span.attributes if "first_audio" in k]
        assert keys == ["voicechat.turn.first_audio_ms"]
        assert span.attributes["voicechat.turn.first_audio_ms"] == round(turn.first_audio_ms, 1)
        assert span.attributes["gen_ai.response.id"] == turn.response_id
        assert span.attributes["gen_ai.operation.name"] == "chat"
        assert span.attributes["gen_ai.request.model"] == "gpt-realtime"
    spoken, tool_turn, interrupted = turns
    assert spoken.attributes["voicechat.turn.first_audio_ms"] == 310.0
    assert spoken.attributes["voicechat.turn.vad_wait_ms"] == 500.0
    # the turn span starts when the user stopped speaking: speech_stopped less the VAD's wait
    assert spoken.start_ns == int((T0 + 2.0 - 0.5) * 1e9)

    stages = {s.attributes["voicechat.stage.name"]: s for s in children(spans, spoken)}
    assert set(stages) == {"VAD", "commit", "response", "model"}
    assert stages["commit"].attributes["voicechat.stage.ms"] == 20.0
    assert stages["model"].end_ns == int((T0 + 2.31) * 1e9)

    [tool] = [s for s in children(spans, tool_turn) if s.name.startswith("execute_tool")]
    assert tool.name == "execute_tool weather"
    assert tool.attributes["gen_ai.tool.name"] == "weather"
    assert tool.attributes["gen_ai.tool.call.id"] == "c1"
    assert tool.attributes["voicechat.tool.ms"] == 1000.0
    assert tool_turn.attributes["voicechat.turn.end"] == "typed"
    assert tool_turn.attributes["voicechat.turn.first_audio_ms"] == 2000.0

    [barge] = [s for s in spans if "barge" in s.name]
    assert barge.parent_id == interrupted.span_id
    assert barge.attributes["voicechat.barge_in.onset"] == "local"
    assert barge.attributes["voicechat.barge_in.paused_ms"] == 120.0
    assert barge.attributes["gen_ai.response.id"] == "r4"


def test_no_transcript_tool_payload_or_secret_by_default() -> None:
    text = all_strings(receive())
    for private in (KEY, "sk-proj", SAID, ANSWER, TYPED, TOOL_ARGS, "Paris-Nord", TOOL_RESULT,
                    "secret-tool-result"):
        assert private not in text
    assert "gen_ai.input.messages" not in text and "gen_ai.tool.call.arguments" not in text


def test_with_the_opt_in_the_words_and_tool_payloads_are_there_but_never_a_key() -> None:
    spans = receive(content=True)
    text = all_strings(spans)
    assert KEY not in text and "sk-proj" not in text
    turns = sorted((s for s in spans if "turn" in s.name), key=lambda s: s.start_ns)
    said = json.loads(turns[0].attributes["gen_ai.input.messages"])
    assert said[0]["role"] == "user" and SAID in said[0]["parts"][0]["content"]
    answer = json.loads(turns[0].attributes["gen_ai.output.messages"])
    assert answer[0]["parts"][0]["content"] == ANSWER
    assert TYPED in turns[1].attributes["gen_ai.input.messages"]
    [tool] = [s for s in spans if s.name.startswith("execute_tool")]
    assert tool.attributes["gen_ai.tool.call.arguments"] == TOOL_ARGS
    assert tool.attributes["gen_ai.tool.call.result"] == TOOL_RESULT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_collector_costs_one_notice_and_a_bounded_shutdown(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # the exporter would retry for a minute on its own; shutdown stops it
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "60")
    notices: list[str] = []
    started = telemetry.start(env={"OTEL_EXPORTER_OTLP_ENDPOINT":
                                   f"http://127.0.0.1:{free_port()}"},
                              on_notice=notices.append)
    tel = started.telemetry
    assert tel is not None and started.notice is None
    trace = tel.session("voicechat session", {"gen_ai.request.model": "m"}, time.time())
    for t, direction, event in session_records():
        trace.on_record(t, direction, event)  # type: ignore[arg-type]
    trace.end(12.0)
    began = time.monotonic()
    tel.shutdown(2.0)
    took = time.monotonic() - began
    assert took < 30.0  # generous: without the bound it is the exporter's 60 s
    # the exporter's retries stop with the shutdown (else they back off for a minute)
    deadline = time.monotonic() + 20.0
    while not notices and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(notices) == 1
    assert "could not be sent" in notices[0] and "127.0.0.1" in notices[0]
    assert tel.notice == notices[0]
    # the SDK's own complaints reach no handler of the application (Python's last resort
    # prints them on stderr, across the TUI)
    assert not [r for r in caplog.records if r.name.startswith("opentelemetry")]


def test_a_missing_extra_is_a_notice_with_the_install_command(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("opentelemetry.sdk", "opentelemetry.sdk.trace"):
        monkeypatch.setitem(sys.modules, name, None)
    started = telemetry.start(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert started.telemetry is None
    assert started.notice is not None
    assert "pip install 'voicechat[otel]'" in started.notice
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in started.notice


def test_nothing_starts_without_an_endpoint_or_when_the_sdk_is_disabled() -> None:
    assert telemetry.start(env={}) == (None, None)
    assert telemetry.start(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
                                "OTEL_SDK_DISABLED": "true"}) == (None, None)


