"""Pipecat (1.14.0, ``OpenAIRealtimeLLMService``) against the local server.

A Pipecat developer points the service's ``base_url`` at ``voicechat serve`` to test a
pipeline offline; these tests are that pipeline (tests/foreign/pipecat_agent.py, run in
``.venv-pipecat``). Pipecat speaks OpenAI Realtime over WebSocket only (its WebRTC transports
carry the user's audio to the bot, not the bot's audio to OpenAI), so there is no WebRTC
variant to test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.foreign.drivers import after, run_driver, server_counts, watch_server_log
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.server.app import LocalServer

VENV = ".venv-pipecat"
AGENT = "pipecat_agent.py"


def url(server: LocalServer) -> str:
    return f"{server.ws_url}/realtime"


def of_kind(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in report["timeline"] if e["kind"] == kind]


def sent_types(report: dict[str, Any]) -> list[str]:
    return [e["type"] for e in report["sent"]]


async def test_a_typed_turn_is_answered_aloud(
        server: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    watch_server_log(caplog)
    report = await run_driver(VENV, AGENT, url(server), "typed", "--text", "hello there")
    [response] = of_kind(report, "response")
    assert response["text"] == "You said: hello there" and response["audio_seconds"] > 0
    assert of_kind(report, "error") == []
    assert await server_counts(caplog) == {
        "responses": 1, "commits": 0, "errors": 0, "refused": []}


@pytest.mark.script('Let me check. @call get_weather {"city": "Paris"}',
                    "It is sunny in Paris.")
async def test_a_function_tool_round_trip_ends_in_a_spoken_answer(
        server: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    watch_server_log(caplog)
    report = await run_driver(VENV, AGENT, url(server), "typed",
                              "--text", "What is the weather in Paris?", "--replies", "2")
    timeline = report["timeline"]
    # Pipecat hands a response's end, its function call and the call's result on from
    # separate tasks: the preamble's end was seen before the call, between the call and its
    # output, and after the output on a loaded machine. What holds in every order: the call
    # before its output, and the answer after both, last.
    preamble = {"kind": "response", "text": "Let me check.", "audio_seconds": pytest.approx(0.54)}
    call = {"kind": "function_call", "name": "get_weather", "arguments": {"city": "Paris"}}
    output = {"kind": "function_call_output", "name": "get_weather",
              "output": "sunny and 21 degrees in Paris"}
    answer = {"kind": "response", "text": "It is sunny in Paris.",
              "audio_seconds": pytest.approx(0.89)}
    assert len(timeline) == 4 and timeline[-1] == answer, timeline
    assert preamble in timeline[:3], timeline
    assert timeline.index(call) < timeline.index(output), timeline
    # the output went to the server, then Pipecat asked for the answer
    types = sent_types(report)
    sent_output = next(i for i, e in enumerate(report["sent"])
                       if e.get("item", {}).get("type") == "function_call_output")
    assert types[sent_output + 1:] == ["response.create"]
    assert await server_counts(caplog) == {
        "responses": 2, "commits": 0, "errors": 0, "refused": []}


@pytest.mark.script("Hello! What can I do for you?",
                    'Let me check. @call get_weather {"city": "Paris"}',
                    "It is sunny in Paris.")
async def test_a_question_said_into_the_microphone_is_heard_and_answered_with_the_tool(
        server: LocalServer, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    watch_server_log(caplog)
    phrase = TEST_PHRASES[1]
    wav = speech_wav(tmp_path / "question.wav", [phrase], rate=24000, lead_s=0.2, tail_s=0.2)
    report = await run_driver(VENV, AGENT, url(server), "audio", "--speech", str(wav),
                              "--replies", "3")
    timeline = report["timeline"]
    assert [e["text"] for e in of_kind(report, "response")] == [
        "Hello! What can I do for you?", "Let me check.", "It is sunny in Paris."]
    assert all(e["audio_seconds"] > 0 for e in of_kind(report, "response"))
    # heard exactly, then the call, its output, and the answer after it
    assert after(timeline, {"kind": "response", "text": "Hello! What can I do for you?"},
                 {"kind": "user_transcript", "text": phrase})
    assert after(timeline, {"kind": "user_transcript"}, {"kind": "function_call"})
    assert after(timeline, {"kind": "function_call_output"},
                 {"kind": "response", "text": "It is sunny in Paris."})
    # the server's VAD ended the turn and answered it: Pipecat sent no commit
    assert "input_audio_buffer.commit" not in sent_types(report)
    assert of_kind(report, "error") == []
    assert await server_counts(caplog) == {
        "responses": 3, "commits": 1, "errors": 0, "refused": []}
