"""OTLP over gRPC (``OTEL_EXPORTER_OTLP_PROTOCOL=grpc``) to a real gRPC trace service on
127.0.0.1, built on opentelemetry-proto's service stubs: the same trace arrives."""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.telemetry.receiver import ReceivedSpan, decode
from tests.telemetry.streams import session_records
from voicechat import telemetry


class _Service(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.lock = threading.Lock()

    def Export(self, request: Any, context: Any) -> Any:
        with self.lock:
            self.spans.extend(decode(request.SerializeToString()))
        return trace_service_pb2.ExportTraceServiceResponse()


def test_spans_arrive_over_grpc(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    service = _Service()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        started = telemetry.start(env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                                       "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
        assert started.notice is None and started.telemetry is not None
        assert started.telemetry.settings.protocol == "grpc"
        trace = started.telemetry.session("voicechat session",
                                          {"gen_ai.request.model": "gpt-realtime"}, 1.7e9)
        for t, direction, event in session_records():
            trace.on_record(t, direction, event)  # type: ignore[arg-type]
        trace.end(12.0)
        started.telemetry.shutdown(20.0)
    finally:
        server.stop(grace=None)
    with service.lock:
        spans = list(service.spans)
    assert len({s.trace_id for s in spans}) == 1
    turns = [s for s in spans if "turn" in s.name]
    assert sorted(s.attributes["voicechat.turn.first_audio_ms"] for s in turns) == [
        310.0, 450.0, 2000.0]
