"""OpenTelemetry end to end (issue 39): ``voicechat --no-ui`` and ``voicechat proxy`` export
each session as a trace to a real OTLP receiver, with each answer's first-audio figure the
session's own records give."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server
from tests.proxy.harness import running_proxy
from tests.proxy.test_proxy_sdk import client, text_turn
from tests.telemetry.receiver import running_receiver
from voicechat import telemetry

FIRST_AUDIO = "voicechat.turn.first_audio_ms"


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
async def test_the_client_exports_its_session_with_the_recorded_figures(
        tmp_path: Path, transport: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_receiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        async with local_server() as srv:
            code, out, err, records = await run_no_ui(
                tmp_path, srv.base_url, transport, "hello there\nhow are you\n", events=False)
        assert code == 0, err[-3000:]
        spans = await asyncio.to_thread(receiver.wait_for, 3, 20.0)
    turns = [s for s in spans if "turn" in s.name and FIRST_AUDIO in s.attributes]
    roots = [s for s in spans if not s.parent_id]
    assert len(roots) == 1 and {s.trace_id for s in spans} == {roots[0].trace_id}
    recorded = [r["event"]["first_audio_ms"] for r in records
                if r["event"]["type"] == "local.turn.latency"]
    assert len(turns) == len(recorded) == 2
    shown = sorted(s.attributes[FIRST_AUDIO] for s in turns)
    for got, want in zip(shown, sorted(recorded), strict=True):
        assert abs(got - want) <= 30
    assert "hello there" not in str([s.attributes for s in spans])  # no transcript by default
    assert "OpenTelemetry: this session is exported as a trace" in out


async def test_the_proxy_exports_each_relayed_session() -> None:
    with running_receiver() as receiver:
        started = telemetry.start(None, env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url})
        assert started.telemetry is not None, started.notice
        async with local_server() as srv, running_proxy(
                srv.base_url, tracing=started.telemetry) as proxy:
            async with client(proxy).realtime.connect(model="gpt-realtime") as conn:
                await text_turn(conn, "hello there")
            opened = await proxy.session_opened()
            await proxy.closed(opened.session)
        await asyncio.to_thread(started.telemetry.shutdown, 5.0)
        spans = receiver.wait_for(2, 10.0)
    turns = [s for s in spans if "turn" in s.name and FIRST_AUDIO in s.attributes]
    assert len(turns) == 1 and turns[0].attributes[FIRST_AUDIO] > 0
    [root] = [s for s in spans if not s.parent_id]
    assert root.attributes.get("voicechat.proxy") is True and "ws-1" in root.name
