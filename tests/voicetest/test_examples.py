"""The example scenarios (``examples/scenarios/``, the how-to's) against the local server, over
both Realtime transports and the GPT-Live and Gemini Live faces: spoken (espeak-ng, another
voice and rate), typed and recorded turns (a real voice, noise under it), a mocked tool, an
interruption, ``doctor: clean`` (issue 52's acceptance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtime import in_real_time
from tests.voicetest.runner import EXAMPLES, assert_behaviour_passed, voicechat_test

#: the three examples run at once: a run of --concurrency too
CONCURRENTLY = ("--concurrency", "3")

#: Real time: three spoken conversations at once, judged by the doctor too. Beside the
#: parallel phase's workers on two cores, a run of `voicechat test` stalled ~1.9 s: over WebSocket
#: its barge-in came 1.9 s after the server's ``speech_started`` and the rest of the words
#: arrived as a 131 ms segment, whose answer it then cancelled (``client-cancelled-response``);
#: over WebRTC the greeting reached the server in pieces (``short-speech-segments``: the mic
#: track sent its late slots as silence before the mic's frames, now fixed in rtc/tracks.py). 2 of 5
#: full runs on 2026-11-29 failed one or both (issue 77); in the serial phase they keep time.
#: A CI run failed the WebRTC greeting so (``short-speech-segments``) with the examples alone:
#: on a machine that stops keeping time, the tries run under the stall probe and again
#: (tests/realtime.py); a failure on a machine that kept time fails at once.
#: Alone, not in a serial lane: beside a lane's echo tests their core's worth of work cost
#: those their real time (a skewed-clock test's drift was never measured in one run).
pytestmark = [pytest.mark.serial, pytest.mark.alone]


#: the doctor's rules that read the time an answer took, which a loaded machine can trip
TIMING_RULES = ("[slow-first-audio]",)


def assert_only_timing_failed(report: dict, stdout: str) -> None:
    """A failed run failed a timing budget or a timing rule of the doctor, nothing else. The
    budgets are checked by ``assert_behaviour_passed``; ``doctor: clean`` is not a check, so a
    run that failed with its timing checks passed must owe it to a timing rule (a fresh-clone
    run failed the greeting on its doctor with only the summary line to show for it)."""
    for run in report["runs"]:
        if run["outcome"] == "passed":
            continue
        timing = [c for t in run["turns"] for c in t["checks"]
                  if c["check"] in ("first_audio_ms", "stop_ms") and c["status"] == "failed"]
        findings = run.get("doctor") or []
        assert timing or findings, (run["name"], stdout)
        assert all(f.startswith(TIMING_RULES) for f in findings), (run["name"], findings)


def _by_name(report: dict) -> dict:
    return {run["name"]: run for run in report["runs"]}


def try_folder(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / f"try{n}"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
def test_the_examples_pass_over_realtime(tmp_path: Path, transport: str) -> None:
    in_real_time(lambda n: examples_pass_over_realtime(try_folder(tmp_path, n), transport),
                 reset=lambda: None)


def examples_pass_over_realtime(tmp_path: Path, transport: str) -> None:
    proc, report = voicechat_test(tmp_path, str(EXAMPLES), "--server", "local",
                                  "--transport", transport, *CONCURRENTLY)
    assert report is not None, proc.stderr
    assert_behaviour_passed(report)
    runs = _by_name(report)
    assert set(runs) == {"greeting", "weather in Paris", "recorded caller"}
    weather = runs["weather in Paris"]
    asked, followed, cut = weather["turns"]
    # the mocked tool was called by the model and its canned result was spoken back
    assert asked["tool_calls"] == [{"name": "get_weather", "arguments": '{"city":"Paris"}'}]
    assert "sunny" in asked["reply"]
    assert "weather like" in asked["heard"].lower()  # the server's transcript of the speech
    assert cut["interrupted"] is True and cut["stop_ms"] is not None
    # the cut answer is its own turn's reply, though it ended in the next turn's window
    assert followed["reply"].startswith("Tomorrow will be cloudy")
    # the doctor found nothing but, on a loaded machine, slow answers (a timing, which no test
    # asserts: a fresh-clone run found "[slow-first-audio] Most answers took over 2 s")
    assert [f for f in weather["doctor"] if not f.startswith(TIMING_RULES)] == []
    recorded = runs["recorded caller"]["turns"]
    assert recorded[2]["interrupted"] is True
    assert "Realtime" in proc.stdout and f"over {transport}" in proc.stdout
    if proc.returncode != 0:  # only a timing budget may have failed on a loaded machine
        assert_only_timing_failed(report, proc.stdout)


def test_the_examples_pass_over_gemini_live(tmp_path: Path) -> None:
    in_real_time(lambda n: examples_pass_over_gemini_live(try_folder(tmp_path, n)),
                 reset=lambda: None)


def examples_pass_over_gemini_live(tmp_path: Path) -> None:
    proc, report = voicechat_test(tmp_path, str(EXAMPLES), "--server", "local",
                                  "--provider", "gemini", *CONCURRENTLY)
    assert report is not None, proc.stderr
    assert_behaviour_passed(report)
    weather = _by_name(report)["weather in Paris"]["turns"]
    # Gemini's toolCall args are an object: the runner shows them as JSON
    assert weather[0]["tool_calls"] == [{"name": "get_weather",
                                         "arguments": '{"city": "Paris"}'}]
    assert weather[2]["interrupted"] is True
    assert "Gemini Live" in proc.stdout


def test_gpt_live_runs_what_it_can_express_and_refuses_the_rest(tmp_path: Path) -> None:
    proc, report = voicechat_test(tmp_path, str(EXAMPLES / "greeting.yaml"), "--server",
                                  "local", "--api", "live")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report is not None
    assert_behaviour_passed(report)
    assert "GPT-Live" in proc.stdout
    # tools cannot be mocked on GPT-Live's delegation: said before connecting, exit 2
    refused, _ = voicechat_test(tmp_path, str(EXAMPLES / "weather.yaml"), "--server",
                                "local", "--api", "live")
    assert refused.returncode == 2
    # every refused key at once, in the file's order: one a run cost three runs (issue 79)
    said = refused.stderr.strip().splitlines()
    weather = str(EXAMPLES / "weather.yaml")
    assert [line.split(": ", 2)[1] for line in said[:-1]] == [
        weather, f"{weather}:14", f"{weather}:22"], said
    assert [line.split(": ", 3)[2] for line in said[:-1]] == [
        "tools", "turns[0].expect.tool_calls", "turns[2].interrupt_after_ms"], said
    assert said[-1] == "voicechat test: 3 problems; nothing ran", said
    assert "GPT-Live" in refused.stderr and "Traceback" not in refused.stderr
    assert "embedded local server" not in refused.stdout + refused.stderr
