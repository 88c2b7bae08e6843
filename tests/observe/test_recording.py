"""Recording observed sessions: one contract log per session, drops counted and written down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.helpers import read_records
from voicechat.eventlog.record import LogRecord
from voicechat.observe.feed import ObservedEvent, SessionClosed
from voicechat.observe.recording import RecordingFeed, SessionRecordings, session_path
from voicechat.observe.upstream import UpstreamError, resolve_upstream


def record(n: int) -> LogRecord:
    return LogRecord(float(n), "2026-11-22T10:00:00.000Z", "in",
                     {"type": "session.updated", "n": n, "note": "Bearer sk-abcdef0123456789XYZ"})


def test_sessions_after_the_first_get_suffixed_files(tmp_path: Path) -> None:
    base = tmp_path / "app.jsonl"
    assert session_path(base, "ws-1", first=True) == base
    assert session_path(base, "call rtc_1", first=False) == tmp_path / "app-call-rtc_1.jsonl"


async def test_a_full_queue_drops_counts_and_says_so_in_the_file(tmp_path: Path) -> None:
    notices: list[str] = []
    recordings = SessionRecordings(tmp_path / "a.jsonl", maxsize=2, on_notice=notices.append)
    feed = RecordingFeed(recordings, maxsize=1)
    for n in range(5):  # the writer has not run yet: the queue holds 2
        feed.publish(ObservedEvent("ws-1", record(n)))
    feed.publish(SessionClosed("ws-1", "app", "closed with code 1000", 1.0))
    writer = asyncio.create_task(recordings.run())
    await recordings.aclose(writer)
    assert recordings.dropped == 3 and feed.dropped == 5  # the display feed drops on its own
    lines = read_records(tmp_path / "a.jsonl")
    notes = [r["event"]["message"] for r in lines if r["event"]["type"] == "local.notice"]
    assert notes and "3 event(s)" in notes[0]
    assert [r["event"]["n"] for r in lines if r["event"]["type"] == "session.updated"] == [0, 1]
    assert "sk-abcdef" not in (tmp_path / "a.jsonl").read_text()
    assert any("3 event(s)" in n for n in notices)


def test_upstream_names() -> None:
    assert resolve_upstream("openai", {}).base == "https://api.openai.com"
    azure = resolve_upstream("azure", {"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com/"})
    assert azure.azure and azure.base == "https://x.openai.azure.com"
    assert azure.sideband_path("rtc_1") == "/openai/v1/realtime?call_id=rtc_1"
    local = resolve_upstream("http://127.0.0.1:8765", {})
    assert local.ws_url("/v1/realtime?model=m") == "ws://127.0.0.1:8765/v1/realtime?model=m"
    with pytest.raises(UpstreamError, match="AZURE_OPENAI_ENDPOINT"):
        resolve_upstream("azure", {})
    with pytest.raises(UpstreamError, match="no credentials"):
        resolve_upstream("https://user:pw@example.com", {})
