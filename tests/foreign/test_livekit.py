"""LiveKit Agents (1.8.9, ``livekit-plugins-openai`` 1.8.9) against the local server.

A LiveKit developer points ``RealtimeModel(base_url=…)`` at ``voicechat serve`` to test an
agent offline; these tests are that agent (tests/foreign/livekit_agent.py, run in
``.venv-livekit``). LiveKit speaks OpenAI Realtime over WebSocket only (GA, with its defaults:
semantic VAD, input transcription), so there is no WebRTC variant to test. Every reply it asks
for is a ``response.create`` carrying ``"instructions": null``, as it sends to OpenAI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.foreign.drivers import after, run_driver, server_counts, watch_server_log
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.server.app import LocalServer

VENV = ".venv-livekit"
AGENT = "livekit_agent.py"
LONG_ANSWER = ("Here is the forecast for the whole week, day by day, starting on Monday "
               "with clear skies in the morning, some clouds after lunch, a light breeze "
               "from the west and a chance of rain late in the evening near the coast.")


def url(server: LocalServer) -> str:
    return f"{server.base_url}/v1"


def refusals(report: dict[str, Any]) -> list[Any]:
    """The ``error`` events LiveKit's Realtime session received from the server."""
    return [e for e in report["wire"]["received"] if e["type"] == "error"]


def sent(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The client events of type ``kind`` that LiveKit sent."""
    return [e for e in report["wire"]["sent"] if e["type"] == kind]


def spoken(report: dict[str, Any]) -> list[dict[str, Any]]:
    """What the agent's speaker played, one entry per answer."""
    return [e for e in report["timeline"] if e["kind"] == "played"]


async def test_a_bare_generate_reply_and_a_typed_turn_are_answered_aloud(
        server: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    watch_server_log(caplog)
    report = await run_driver(VENV, AGENT, url(server), "typed", "--greet",
                              "--text", "hello there", "--replies", "2")
    # the greeting (no user input yet: the echo responder says so), then session.run's turn
    assert report["run"] == [
        {"kind": "message", "role": "assistant", "text": "You said: hello there"}]
    said = [e["text"] for e in report["timeline"]
            if e["kind"] == "message" and e["role"] == "assistant"]
    assert said == ["I didn't catch that. Could you say it again?", "You said: hello there"]
    played = spoken(report)
    assert len(played) == 2 and all(p["seconds"] > 0 and not p["interrupted"] for p in played)
    # each reply LiveKit asked for, as it asks OpenAI: with a null for the instructions
    creates = sent(report, "response.create")
    assert len(creates) == 2 and all(c["response"]["instructions"] is None for c in creates)
    assert refusals(report) == []
    assert await server_counts(caplog) == {
        "responses": 2, "commits": 0, "errors": 0, "refused": []}


@pytest.mark.script('Let me check. @call get_weather {"city": "Paris"}',
                    "It is sunny in Paris.")
async def test_a_function_tool_round_trip_ends_in_a_spoken_answer(
        server: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    watch_server_log(caplog)
    report = await run_driver(VENV, AGENT, url(server), "typed",
                              "--text", "What is the weather in Paris?", "--replies", "2")
    assert report["run"] == [
        {"kind": "message", "role": "assistant", "text": "Let me check."},
        {"kind": "function_call", "name": "get_weather", "arguments": {"city": "Paris"}},
        {"kind": "function_call_output", "name": "get_weather",
         "output": "sunny and 21 degrees in Paris", "is_error": False},
        {"kind": "message", "role": "assistant", "text": "It is sunny in Paris."},
    ]
    timeline = report["timeline"]
    # the answer LiveKit asks for once the output is sent is said, and said after it
    assert after(timeline, {"kind": "function_call_output"},
                 {"kind": "message", "text": "It is sunny in Paris."})
    assert after(timeline, {"kind": "function_call_output"}, {"kind": "played"})
    [output] = sent(report, "conversation.item.create")[-1:]
    assert output["item"]["type"] == "function_call_output"
    assert refusals(report) == []
    assert await server_counts(caplog) == {
        "responses": 2, "commits": 0, "errors": 0, "refused": []}


async def test_speech_into_the_microphone_is_heard_through_the_server_vad(
        server: LocalServer, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    watch_server_log(caplog)
    phrase = TEST_PHRASES[0]
    wav = speech_wav(tmp_path / "question.wav", [phrase], rate=24000, lead_s=0.2, tail_s=0.2)
    report = await run_driver(VENV, AGENT, url(server), "audio", "--speech", str(wav))
    timeline = report["timeline"]
    assert {"kind": "user_transcript", "text": phrase} in timeline
    assert {"kind": "message", "role": "assistant", "text": f"You said: {phrase}",
            "interrupted": False} in timeline
    assert after(timeline, {"kind": "user_transcript"}, {"kind": "played", "interrupted": False})
    assert refusals(report) == []
    # one turn, committed by the server's VAD (LiveKit never commits the buffer itself)
    assert await server_counts(caplog) == {
        "responses": 1, "commits": 1, "errors": 0, "refused": []}


@pytest.mark.script(LONG_ANSWER, "Sorry, go ahead.")
async def test_talking_over_the_answer_interrupts_it(
        server: LocalServer, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    watch_server_log(caplog)
    phrase = TEST_PHRASES[1]
    wav = speech_wav(tmp_path / "over.wav", [phrase], rate=24000, lead_s=0.0, tail_s=0.2)
    report = await run_driver(VENV, AGENT, url(server), "interrupt",
                              "--text", "What is the forecast?", "--speech", str(wav),
                              "--replies", "2")
    timeline = report["timeline"]
    played = spoken(report)
    # the long answer stopped where it was when the server heard the person (its audio is
    # 8 s; the speech starts 3.5 s in), then the answer to what they said, whole
    assert played[0]["interrupted"] and played[0]["seconds"] < played[0]["of"]
    assert played[-1]["interrupted"] is False
    answers = [e for e in timeline if e["kind"] == "message" and e["role"] == "assistant"]
    assert answers[0]["interrupted"] is True
    # LiveKit cut the item on the server to what was played (its own copy keeps the text)
    [truncate] = sent(report, "conversation.item.truncate")
    assert 0 < truncate["audio_end_ms"] < played[0]["of"] * 1000
    assert answers[-1]["text"] == "Sorry, go ahead."
    assert after(timeline, {"kind": "user_transcript", "text": phrase},
                 {"kind": "message", "text": "Sorry, go ahead."})
    assert refusals(report) == []
    counts = await server_counts(caplog)
    assert (counts["commits"], counts["errors"], counts["refused"]) == (1, 0, [])
