"""The model stops for the user (a barge-in against the real local server): the client notices
over WebRTC as over WebSocket, flushes its playback, and marks the answer interrupted with only
what was played as heard. Over WebRTC the core sees the remote track's frames as the runtime
hands them to the player (``OutputArrived``), so what was played is also bounded by what
arrived there.

The local server yields when the user has talked for a moment and sends their words once they
stop (its recogniser transcribes per utterance), so here the evidence comes in the "quiet, then
words" order of :mod:`voicechat.core.live.yielding`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import until
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.live import LiveRuntime
from voicechat.server.app import LocalServer

LONG = "This answer keeps the assistant talking for a long while."

pytestmark = pytest.mark.slow


def of(records: list[LogRecord], kind: str) -> list[dict[str, Any]]:
    return [r.event for r in records if r.event.get("type") == kind]


@pytest.mark.script(" ".join([LONG] * 8), "Short answer.")
@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
async def test_a_barge_in_flushes_playback_and_cuts_the_answer(
    server: LocalServer, tmp_path: Path, transport: str
) -> None:
    # the question, then the cut-in 5 s later: well into the 8-sentence answer
    wav = speech_wav(tmp_path / "mic.wav", [TEST_PHRASES[0], TEST_PHRASES[1]], gap_s=5.0,
                     tail_s=6.0)
    runtime = LiveRuntime(Settings(server="local", api="live", model="gpt-live-1",
                                   transport=transport, mic=str(wav), speaker="none"),
                          local_server=server)
    records: list[LogRecord] = []
    runtime.subscribe(records.append)
    await runtime.start()
    try:
        await until(lambda: any("stopped for the user" in str(n.get("message"))
                                for n in of(records, "local.notice")),
                    "the client noticing the model yield", timeout=40)
        answers = await until(lambda: [t for t in runtime.live_view.turns
                                       if t.speaker == "assistant" and t.closed][:2]
                              if sum(t.speaker == "assistant" and t.closed
                                     for t in runtime.live_view.turns) >= 2 else None,
                              "the cut answer and the answer to the cut-in", timeout=40)
    finally:
        await runtime.stop()
    view = runtime.live_view
    cut, reply = answers
    assert cut.interrupted and not reply.interrupted
    assert cut.text.count(LONG) < 8  # the model stopped part way
    assert cut.heard_text is not None and len(cut.heard_text) <= len(cut.text)
    assert "Short answer." in reply.text
    assert of(records, "local.playback.flushed")
    # the log says it for a turn published before the evidence came (printed by --no-ui)
    published = [e for e in of(records, "local.live.turn") if e["speaker"] == "assistant"]
    revised = of(records, "local.live.interrupted")
    assert published[0].get("interrupted") or (
        revised and revised[0]["start_ms"] == published[0]["start_ms"])
    # the received figure exists on both transports, and bounds what was played and dropped
    assert view.received_ms is not None and view.received_ms > 0
    assert view.played_ms + view.dropped_ms <= view.received_ms
    assert not any("more audio than was received" in str(n.get("message"))
                   for n in of(records, "local.notice"))
