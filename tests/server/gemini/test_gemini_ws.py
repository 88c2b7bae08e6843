"""The Gemini Live peer over a raw WebSocket: turns, tools, barge-in, refusals, lifetime and
resumption, with every frame the server sends checked against the SDK's ``LiveServerMessage``
(no undeclared keys)."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import local_server
from tests.server.gemini.peers import KEY, GeminiPeer, gemini_ws, spoken16k
from tests.speech import TEST_PHRASES
from voicechat.protocol.gemini import client_messages, errors, names
from voicechat.server.app import LocalServer

SC = names.SERVER_CONTENT


def _audio(peer: GeminiPeer) -> np.ndarray:
    chunks = [base64.b64decode(part["inlineData"]["data"])
              for content in peer.frames(SC) if names.MODEL_TURN in content
              for part in content[names.MODEL_TURN]["parts"]]
    return np.frombuffer(b"".join(chunks), "<i2")


async def test_a_spoken_turn_is_heard_answered_and_typed_by_the_sdk(server: LocalServer) -> None:
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup())
        await peer.log.wait_for(names.SETUP_COMPLETE)
        await peer.stream(spoken16k(TEST_PHRASES[0]))
        done = await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        kinds = peer.log.types()
        assert kinds.index(f"{SC}.{names.GENERATION_COMPLETE}") < peer.log.index(done)
        assert peer.text(names.INPUT_TRANSCRIPTION).strip() == TEST_PHRASES[0]
        assert len(peer.log.of(f"{SC}.{names.INPUT_TRANSCRIPTION}")) > 1  # fragments
        assert peer.text(names.OUTPUT_TRANSCRIPTION).startswith("You said:")
        parts = [p for c in peer.frames(SC) if names.MODEL_TURN in c
                 for p in c[names.MODEL_TURN]["parts"]]
        assert {p["inlineData"]["mimeType"] for p in parts} == {names.OUTPUT_MIME}
        assert np.abs(_audio(peer)).max() > 1000
        usage = done["frame"][names.USAGE_METADATA]
        assert usage["promptTokenCount"] > 0 and usage["responseTokenCount"] > 0
        assert peer.problems == []


async def test_a_typed_turn_in_snake_case_as_the_sdk_spells_it(server: LocalServer) -> None:
    async with gemini_ws(server, query="", headers={names.API_KEY_HEADER: KEY}) as peer:
        await peer.send({"setup": {"model": "models/gemini-live", "output_audio_transcription":
                                   {}}})
        await peer.send({"client_content": {"turns": [{"role": "user", "parts": [
            {"text": "Hello there"}]}], "turn_complete": True}})
        await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        assert peer.text(names.OUTPUT_TRANSCRIPTION) == "You said: Hello there"
        assert peer.text(names.INPUT_TRANSCRIPTION) == ""  # not asked for, and typed anyway
        assert peer.problems == []


async def test_a_text_session_gets_text_parts_and_no_audio(server: LocalServer) -> None:
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup(modality="TEXT"))
        await peer.send(client_messages.realtime_text("Hi there"))
        done = await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        parts = [p for c in peer.frames(SC) if names.MODEL_TURN in c
                 for p in c[names.MODEL_TURN]["parts"]]
        assert "".join(p["text"] for p in parts) == "You said: Hi there"
        assert not any("inlineData" in p for p in parts)
        details = done["frame"][names.USAGE_METADATA]["responseTokensDetails"]
        assert [d["modality"] for d in details] == ["TEXT"]
        assert peer.problems == []


async def test_audio_stream_end_ends_the_utterance_under_way(server: LocalServer) -> None:
    """No trailing silence: the mic paused, and ``audioStreamEnd`` says so."""
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup())
        await peer.stream(spoken16k(TEST_PHRASES[0], tail_s=0.0))
        await peer.send(client_messages.audio_stream_end())
        await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        assert peer.text(names.INPUT_TRANSCRIPTION).strip() == TEST_PHRASES[0]


@pytest.mark.parametrize(("frames", "code", "words"), [
    ([client_messages.user_turn("hi")], 1007, "first message must be 'setup'"),
    ([client_messages.setup(), client_messages.setup()], 1007, "setup was already sent"),
    ([client_messages.setup(), {"realtime_input": {"media_chunks": [
        {"mime_type": "audio/pcm", "data": "AAAA"}]}}], 1007,
     "realtime_input.media_chunks is deprecated"),
    ([client_messages.setup(), {"realtimeInput": {"audio": {
        "data": "AAAA", "mimeType": "audio/pcm;rate=16"}}}], 1007, "Unsupported audio"),
    ([client_messages.setup(), client_messages.activity_start()], 1007,
     "automaticActivityDetection.disabled"),
    ([client_messages.setup(), {"contextUpdate": {}}], 1008, "not supported"),
    ([client_messages.setup(), client_messages.tool_response([("nope", "f", {})])], 1007,
     "no pending function call"),
])
async def test_refusals_close_with_googles_codes(server: LocalServer, frames: list[dict],
                                                 code: int, words: str) -> None:
    async with gemini_ws(server) as peer:
        for frame in frames:
            await peer.send(frame)
        got, reason = await peer.wait_closed()
    assert got == code and words in reason


async def test_a_bad_key_or_a_token_on_the_wrong_path_closes_1008() -> None:
    async with local_server(api_key="right") as srv:
        async with gemini_ws(srv, query="?key=wrong") as peer:
            await peer.send(client_messages.setup())
            assert await peer.wait_closed() == (1008, errors.credential(
                "API key not valid. Please pass a valid API key.").reason)
        async with gemini_ws(srv, query="?access_token=auth_tokens/x") as peer:
            await peer.send(client_messages.setup())
            code, reason = await peer.wait_closed()
            assert code == 1008 and "Constrained" in reason
        async with gemini_ws(srv, path=names.CONSTRAINED_PATH, query="") as peer:
            await peer.send(client_messages.setup())
            code, reason = await peer.wait_closed()
            assert code == 1008 and "ephemeral token" in reason


@pytest.mark.script('Let me check. @call get_time {"zone": "UTC"}', "It is noon in UTC.")
async def test_a_tool_call_blocks_the_turn_until_every_id_is_answered(
        server: LocalServer) -> None:
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup())
        await peer.send(client_messages.user_turn("What time is it?"))
        call = await peer.log.wait_for(names.TOOL_CALL)
        (fc,) = call["frame"][names.TOOL_CALL]["functionCalls"]
        assert fc["name"] == "get_time" and fc["args"] == {"zone": "UTC"}
        assert fc["id"].startswith("function-call-")
        answered_at = len(peer.log.events)
        assert not peer.log.of(f"{SC}.{names.TURN_COMPLETE}")
        await peer.send(client_messages.tool_response([(fc["id"], "get_time",
                                                         {"time": "12:00"})]))
        await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        later = [e for e in peer.log.events[answered_at:]
                 if e["type"] == f"{SC}.{names.OUTPUT_TRANSCRIPTION}"]
        assert "".join(e["frame"][SC][names.OUTPUT_TRANSCRIPTION]["text"]
                       for e in later).strip() == "It is noon in UTC."
        assert peer.text(names.OUTPUT_TRANSCRIPTION).startswith("Let me check.")
        assert peer.problems == []


@pytest.mark.script("@call slow_lookup", "You interrupted me.")
async def test_speaking_over_a_pending_tool_call_cancels_it(server: LocalServer) -> None:
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup())
        await peer.send(client_messages.user_turn("Look it up."))
        call = await peer.log.wait_for(names.TOOL_CALL)
        call_id = call["frame"][names.TOOL_CALL]["functionCalls"][0]["id"]
        await peer.stream(spoken16k(TEST_PHRASES[0]))
        cancelled = await peer.log.wait_for(names.TOOL_CALL_CANCELLATION)
        assert cancelled["frame"][names.TOOL_CALL_CANCELLATION]["ids"] == [call_id]
        interrupted = peer.log.of(f"{SC}.{names.INTERRUPTED}")
        assert interrupted and peer.log.index(interrupted[0]) < peer.log.index(cancelled)
        # a late answer to the withdrawn call is ignored; the user's words are answered
        await peer.send(client_messages.tool_response([(call_id, "slow_lookup", {})]))
        await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        assert "You interrupted me." in peer.text(names.OUTPUT_TRANSCRIPTION)
        assert peer.close_code is None and peer.problems == []


@pytest.mark.script("One two three four five six seven eight nine ten eleven twelve "
                    "thirteen fourteen fifteen sixteen seventeen eighteen.", "Yes?")
async def test_the_user_speaking_over_the_answer_interrupts_it(server: LocalServer) -> None:
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup())
        await peer.send(client_messages.user_turn("Count."))
        await peer.log.wait_for(f"{SC}.{names.MODEL_TURN}")
        await peer.stream(spoken16k(TEST_PHRASES[0]))
        stop = await peer.log.wait_for(f"{SC}.{names.INTERRUPTED}")
        done = await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        assert peer.log.index(stop) < peer.log.index(done)
        assert "eighteen" not in peer.text(names.OUTPUT_TRANSCRIPTION)
        assert peer.text(names.OUTPUT_TRANSCRIPTION).rstrip().endswith("Yes?")
        assert peer.problems == []


@pytest.mark.script("One two three four five six seven eight nine ten eleven twelve "
                    "thirteen fourteen fifteen sixteen seventeen eighteen.", "Yes?")
async def test_with_no_interruption_the_answer_plays_out_first(server: LocalServer) -> None:
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup(interruptible=False))
        await peer.send(client_messages.user_turn("Count."))
        await peer.log.wait_for(f"{SC}.{names.MODEL_TURN}")
        await peer.stream(spoken16k(TEST_PHRASES[0]))
        first = await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}", after=peer.log.index(first) + 1)
        assert not peer.log.of(f"{SC}.{names.INTERRUPTED}")
        said = peer.text(names.OUTPUT_TRANSCRIPTION)
        assert "eighteen." in said and said.rstrip().endswith("Yes?")


async def test_manual_activity_brackets_the_users_turn(server: LocalServer) -> None:
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup(manual_activity=True))
        await peer.send(client_messages.activity_start())
        await peer.stream(spoken16k(TEST_PHRASES[0], tail_s=0.2))
        await peer.send(client_messages.activity_end())
        await peer.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
        assert peer.text(names.INPUT_TRANSCRIPTION).strip() == TEST_PHRASES[0]
        assert peer.problems == []


async def test_go_away_then_deadline_then_resume_with_the_conversation(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("First answer.\nSecond answer.\n", encoding="utf-8")
    async with local_server(responder=f"script:{script}", gemini_connection_s=6.0,
                            gemini_go_away_lead_s=2.0) as srv:
        async with gemini_ws(srv) as old:
            await old.send(client_messages.setup())
            await old.send(client_messages.user_turn("One"))
            done = await old.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
            await old.log.wait_for(names.SESSION_RESUMPTION_UPDATE,
                                   after=old.log.index(done))  # a handle after each turn
            updates = old.frames(names.SESSION_RESUMPTION_UPDATE)
            handle = updates[-1]["newHandle"]
            assert all(u["resumable"] for u in updates) and len(updates) >= 2
            go_away = await old.log.wait_for(names.GO_AWAY)
            assert go_away["frame"][names.GO_AWAY]["timeLeft"] == "2s"
            # resuming while the old connection is open is refused
            async with gemini_ws(srv) as early:
                await early.send(client_messages.setup(resume_handle=handle))
                assert (await early.wait_closed())[0] == 1011
            assert await old.wait_closed() == (1011, "Deadline expired before operation "
                                                     "could complete.")
            assert old.problems == []
        async with gemini_ws(srv) as new:
            await new.send(client_messages.setup(resume_handle=handle))
            await new.log.wait_for(names.SETUP_COMPLETE)
            await new.send(client_messages.user_turn("Two"))
            await new.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
            assert new.text(names.OUTPUT_TRANSCRIPTION) == "Second answer."
        async with gemini_ws(srv) as stranger:
            await stranger.send(client_messages.setup(resume_handle="not-a-handle"))
            code, reason = await stranger.wait_closed()
            assert code == 1007 and "resumption failed" in reason



async def test_a_resumed_session_hands_the_whole_conversation_to_a_chat_model() -> None:
    """The client closes its socket and resumes by handle: the chat model answering the next
    turn gets the instructions and every earlier turn, tool call and result included."""
    from tests.server.fake_chat import calls_reply, fake_chat, text_reply

    async with fake_chat(calls_reply([("remember", '{"name": "Ada"}')], "Noted."),
                         text_reply("Saved."), text_reply("You are Ada.")) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv:
        tools = [{"name": "remember", "parameters": {"type": "object"}}]
        async with gemini_ws(srv) as old:
            await old.send(client_messages.setup(instructions="Be brief.", tools=tools))
            await old.send(client_messages.user_turn("My name is Ada."))
            call = await old.log.wait_for(names.TOOL_CALL)
            (fc,) = call["frame"][names.TOOL_CALL]["functionCalls"]
            await old.send(client_messages.tool_response([(fc["id"], "remember",
                                                            {"ok": True})]))
            done = await old.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
            update = await old.log.wait_for(names.SESSION_RESUMPTION_UPDATE,
                                            after=old.log.index(done))
            handle = update["frame"][names.SESSION_RESUMPTION_UPDATE]["newHandle"]
        async with gemini_ws(srv) as new:  # the old socket is closed: the session is free
            await new.send(client_messages.setup(resume_handle=handle, tools=tools))
            await new.send(client_messages.user_turn("What is my name?"))
            await new.log.wait_for(f"{SC}.{names.TURN_COMPLETE}")
            assert new.text(names.OUTPUT_TRANSCRIPTION) == "You are Ada."
            assert new.problems == []
    messages = chat.requests[-1]["messages"]
    assert messages[1] == {"role": "system", "content": "Be brief."}  # after the chat's own
    said = [(m["role"], m.get("content")) for m in messages[2:]]
    assert said[0] == ("user", "My name is Ada.")
    assert ("assistant", "Noted.") in said and ("assistant", "Saved.") in said
    assert said[-1] == ("user", "What is my name?")
    calls = [m for m in messages if m.get("tool_calls")]
    results = [m for m in messages if m["role"] == "tool"]
    assert calls[0]["tool_calls"][0]["id"] == fc["id"] == results[0]["tool_call_id"]
    assert [t["function"]["name"] for t in chat.requests[0]["tools"]] == ["remember"]
