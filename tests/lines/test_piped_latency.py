"""Every answered turn of piped lines gets its latency figure, and the figure is the log's
(issue 55, item 6).

Three lines piped into the installed ``voicechat --no-ui`` against the real local server, on
both transports. Each line goes out at the previous ``response.done``; over WebRTC the answers'
audio then plays one after the other, long after they were made. Before the fix the second
turn got no figure at all and the third was measured from the first answer's stop, calling the
second answer's playback "model". The figures are checked against the times of the events the
same log holds (no timing of the machine is asserted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server

#: how far a figure may be from the log's own times of the events it spans: the record's time
#: and the core's clock for the same event differ by the loop's turn, never by an answer's length
SLACK_MS = 25.0
FIRST_AUDIO = {"webrtc": "output_audio_buffer.started", "websocket": "response.output_audio.delta"}


def _first(records: list[dict[str, Any]], kind: str, rid: str) -> float:
    return next(r["t"] for r in records if r["event"].get("type") == kind
                and (r["event"].get("response_id") == rid
                     or r["event"].get("response", {}).get("id") == rid))


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
async def test_each_piped_line_gets_the_figure_its_log_shows(tmp_path: Path,
                                                             transport: str) -> None:
    async with local_server() as srv:
        code, out, err, records = await run_no_ui(tmp_path, srv.base_url, transport,
                                                  "one\ntwo\nthree\n", events=False)
    assert code == 0, err[-3000:]
    answers = [r["event"]["response"]["id"] for r in records if r["dir"] == "in"
               and r["event"].get("type") == "response.done"]
    timed = [r["event"] for r in records if r["event"].get("type") == "local.turn.latency"]
    assert [t["response_id"] for t in timed] == answers and len(answers) == 3, timed
    lines = out.splitlines()
    assert sum(line.startswith("latency") for line in lines) == 3, lines
    sends = [r["t"] for r in records if r["dir"] == "out"
             and r["event"].get("type") == "response.create"]
    stops = [r["t"] for r in records if r["event"].get("type") == "output_audio_buffer.stopped"]
    for turn, sent in zip(timed, sends, strict=True):
        rid = turn["response_id"]
        heard = _first(records, FIRST_AUDIO[transport], rid)
        created = _first(records, "response.created", rid)
        assert turn["first_audio_ms"] == pytest.approx((heard - sent) * 1000, abs=SLACK_MS)
        assert sum(turn["stages"].values()) == pytest.approx(turn["first_audio_ms"], abs=0.5)
        # the model's part ends at the first audio and starts at the response, or at the last
        # earlier answer's stop when the answer waited for it to play
        waited = [t for t in stops if created <= t <= heard]
        model_from = max([created, *waited])
        assert turn["stages"]["model"] == pytest.approx((heard - model_from) * 1000,
                                                        abs=SLACK_MS), turn
        if waited:
            assert turn["stages"]["previous answer"] == pytest.approx(
                (max(waited) - created) * 1000, abs=SLACK_MS), turn
    # a figure printed after a later answer names the answer it times
    for line in lines:
        if line.startswith("latency") and not line.startswith("latency:"):
            assert line.startswith("latency of 'You said: "), lines
