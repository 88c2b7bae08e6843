"""Delegation on the local server's GPT-Live side.

Responses delegation runs on the ``chat:`` responder (a fake OpenAI-compatible endpoint stands
in for the model): the session's ``delegation.responses.tools`` reach the endpoint as chat
tools, the call comes back as ``session.delegation.created`` and nested ``response.event``s, the
client answers with ``response.item.create`` + ``response.create``, and the answer is spoken.
Client delegation runs on a script's ``@call``: the client answers with a commentary append
naming the delegation.
"""

from __future__ import annotations

import pytest

from tests.helpers import local_server
from tests.server.fake_chat import calls_reply, fake_chat, text_reply
from tests.server.live.peers import live_ws, spoken
from tests.speech import TEST_PHRASES

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather for a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
RESPONSES = {"type": "responses", "responses": {"model": "gpt-5.5", "tools": [WEATHER],
                                                "tool_choice": "auto"}}


def nested(log, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e for e in log.of("response.event") if e["event"]["type"] == kind]


async def test_responses_delegation_runs_the_chat_responders_tools() -> None:
    answer = "It is sunny in Paris."
    async with (
        fake_chat(calls_reply([("get_weather", '{"city": "Paris"}')], preamble="Let me check."),
                  text_reply(answer)) as chat,
        local_server(responder=f"chat:{chat.url}", asr_phrases=TEST_PHRASES) as srv,
        live_ws(srv) as peer,
    ):
        await peer.send({"type": "session.start",
                         "session": {"model": "gpt-live-1", "delegation": RESPONSES}})
        await peer.log.wait_for("session.started")
        await peer.stream(spoken(TEST_PHRASES[1]))
        created = await peer.log.wait_for("session.delegation.created")
        assert created["delegation"]["target"] == "responses"
        done = await peer.log.wait_for(
            "response.event", where=lambda e: e["event"]["type"] == "response.completed")
        call = nested(peer.log, "response.output_item.done")[0]["event"]["item"]
        assert (call["type"], call["name"], call["arguments"]) == (
            "function_call", "get_weather", '{"city": "Paris"}')
        assert done["delegation_id"] == created["delegation"]["id"]
        assert done["event"]["response"]["output"] == []  # stripped, as the real service
        # the endpoint got the delegation's tools as chat tools
        assert chat.requests[0]["tools"][0]["function"]["name"] == "get_weather"
        # answering before all outputs are in is refused
        await peer.send({"type": "response.create"})
        early = await peer.log.wait_for("error")
        assert early["error"]["code"] == "function_call_outputs_required"
        await peer.send({"type": "response.item.create",
                         "item": {"type": "function_call_output", "call_id": call["call_id"],
                                  "output": '{"sky": "sunny"}'}})
        await peer.send({"type": "response.create"})
        await peer.log.wait_for(
            "response.event", where=lambda e: e["event"]["type"] == "response.output_text.done")
        await peer.log.wait_for("session.output_transcript.delta",
                                where=lambda e: e["delta"].strip().startswith("Paris"))
        said = peer.text("session.output_transcript.delta")
        assert "Let me check." in said and answer in said
        tool_message = chat.requests[1]["messages"][-1]
        assert tool_message == {"role": "tool", "tool_call_id": call["call_id"],
                                "content": '{"sky": "sunny"}'}


@pytest.mark.script("@call look_up_order {}", "Thanks.")
async def test_client_delegation_is_answered_by_commentary(server) -> None:  # type: ignore[no-untyped-def]
    async with live_ws(server) as peer:
        await peer.send({"type": "session.start", "session": {"model": "gpt-live-1"}})
        await peer.log.wait_for("session.started")
        await peer.stream(spoken(TEST_PHRASES[2]))
        created = await peer.log.wait_for("session.delegation.created")
        delegation = created["delegation"]
        assert delegation["target"] == "client" and "response_id" not in delegation
        assert not peer.log.of("response.event")
        await peer.send({"type": "session.commentary.append", "content": "Your order shipped.",
                         "delegation_id": "item_unknown"})
        unknown = await peer.log.wait_for("error")
        assert unknown["error"]["code"] == "unknown_delegation"
        await peer.send({"type": "session.commentary.append", "content": "Your order shipped.",
                         "delegation_id": delegation["id"]})
        await peer.log.wait_for("session.commentary.appended")
        await peer.log.wait_for("session.output_transcript.delta",
                                where=lambda e: e["delta"].strip().startswith("shipped"))
        await peer.send({"type": "response.create"})
        refused = await peer.log.wait_for("error", after=len(peer.log.events) - 1)
        assert refused["error"]["code"] == "responses_delegation_required"


async def test_typed_text_goes_to_the_backend_and_is_answered_aloud() -> None:
    async with (
        fake_chat(text_reply("Typed answers work.")) as chat,
        local_server(responder=f"chat:{chat.url}", asr_phrases=TEST_PHRASES) as srv,
        live_ws(srv) as peer,
    ):
        await peer.send({"type": "session.start",
                         "session": {"model": "gpt-live-1", "delegation": RESPONSES}})
        await peer.log.wait_for("session.started")
        await peer.send({"type": "response.item.create", "item": {
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "Do typed questions work?"}]}})
        await peer.send({"type": "response.create"})
        await peer.log.wait_for(
            "response.event", where=lambda e: e["event"]["type"] == "response.completed")
        text = "".join(e["event"]["delta"] for e in nested(peer.log, "response.output_text.delta"))
        assert text == "Typed answers work."
        await peer.log.wait_for("session.output_transcript.delta",
                                where=lambda e: e["delta"].strip() == "work.")
        assert chat.requests[0]["messages"][-1] == {"role": "user",
                                                    "content": "Do typed questions work?"}
