"""Voice changes after audio (``cannot_update_voice``) and out-of-band responses."""

from __future__ import annotations

from typing import Any

from tests.helpers import local_server
from tests.server.conftest import WsPeer, ws_peer
from voicechat.server.app import LocalServer

BETA = {"OpenAI-Beta": "realtime=v1", "Authorization": "Bearer sk-test"}
VOICE_ERROR = {
    "type": "invalid_request_error",
    "code": "cannot_update_voice",
    "message": "Cannot update a conversation's voice if assistant audio is present.",
    "param": None,
}


def user_text(text: str, item_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text}],
    }
    if item_id:
        item["id"] = item_id
    return {"type": "conversation.item.create", "item": item}


async def send_and_wait(peer: WsPeer, event: dict[str, Any], kind: str) -> dict[str, Any]:
    n = len(peer.log.events)
    await peer.send(event)
    return await peer.log.wait_for(kind, after=n)


async def test_voice_fixed_after_first_audio_ga(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        # before any audio the voice may change
        update = {"type": "session.update", "session": {"type": "realtime"}}
        ash = {**update, "session": {"type": "realtime", "audio": {"output": {"voice": "ash"}}}}
        got = await send_and_wait(peer, ash, "session.updated")
        assert got["session"]["audio"]["output"]["voice"] == "ash"
        # a text-only response is no audio: still allowed
        await peer.send(user_text("hi"))
        await send_and_wait(
            peer,
            {"type": "response.create", "response": {"output_modalities": ["text"]}},
            "response.done",
        )
        sage = {**update, "session": {"type": "realtime", "audio": {"output": {"voice": "sage"}}}}
        got = await send_and_wait(peer, sage, "session.updated")
        assert got["session"]["audio"]["output"]["voice"] == "sage"
        # now an audio response: afterwards a different voice is refused, whole
        await send_and_wait(peer, {"type": "response.create"}, "response.done")
        assert peer.log.of("response.output_audio.delta")
        change = {
            "type": "session.update",
            "event_id": "evt_voice",
            "session": {
                "type": "realtime",
                "instructions": "Speak like a pirate.",
                "audio": {"output": {"voice": "coral"}},
            },
        }
        err = await send_and_wait(peer, change, "error")
        assert err["error"] == {**VOICE_ERROR, "event_id": "evt_voice"}
        # nothing of that update applied; re-sending the current voice is fine
        same = {**update, "session": {"type": "realtime", "audio": {"output": {"voice": "sage"}}}}
        got = await send_and_wait(peer, same, "session.updated")
        assert got["session"]["audio"]["output"]["voice"] == "sage"
        assert got["session"]["instructions"] != "Speak like a pirate."
        assert len(peer.log.of("error")) == 1


async def test_voice_fixed_after_first_audio_beta(server: LocalServer) -> None:
    async with ws_peer(server, headers=BETA) as peer:
        await peer.send(user_text("hello"))
        await send_and_wait(peer, {"type": "response.create"}, "response.done")
        assert peer.log.of("response.audio.delta")
        err = await send_and_wait(
            peer, {"type": "session.update", "session": {"voice": "verse"}}, "error"
        )
        assert err["error"] == {**VOICE_ERROR, "event_id": None}
        got = await send_and_wait(
            peer,
            {"type": "session.update", "session": {"instructions": "Be brief."}},
            "session.updated",
        )
        assert got["session"]["voice"] == "alloy"


async def test_out_of_band_response_runs_beside_the_default_one() -> None:
    long_words = " ".join(["word"] * 80)  # the echo keeps the default response busy a while
    async with local_server(text_delta_interval_s=0.02) as srv, ws_peer(srv) as peer:
        await send_and_wait(peer, user_text(long_words, "item_user1"), "conversation.item.added")
        n_items = len(peer.log.of("conversation.item.added"))
        await peer.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
        first = await peer.log.wait_for("response.output_text.delta")
        main_id = first["response_id"]
        await peer.send(
            {
                "type": "response.create",
                "event_id": "evt_oob",
                "response": {
                    "conversation": "none",
                    "output_modalities": ["text"],
                    "metadata": {"purpose": "classification"},
                    "input": [
                        {
                            "type": "message",
                            "role": "user",
                            "content": [{"type": "input_text", "text": "classify this"}],
                        }
                    ],
                },
            }
        )
        created = await peer.log.wait_for(
            "response.created", where=lambda e: e["response"]["id"] != main_id
        )
        oob_id = created["response"]["id"]
        assert created["response"]["metadata"] == {"purpose": "classification"}
        assert created["response"]["conversation_id"] is None
        oob_done = await peer.log.wait_for(
            "response.done", where=lambda e: e["response"]["id"] == oob_id
        )
        main_done = await peer.log.wait_for(
            "response.done", where=lambda e: e["response"]["id"] == main_id
        )
        # the out-of-band response finished while the default one was still streaming
        assert peer.log.index(oob_done) < peer.log.index(main_done)
        assert not peer.log.of("error")
        oob = oob_done["response"]
        assert oob["status"] == "completed" and oob["metadata"] == {"purpose": "classification"}
        assert oob["conversation_id"] is None
        assert oob["output"][0]["content"][0]["text"] == "You said: classify this"
        assert main_done["response"]["status"] == "completed"
        assert main_done["response"]["metadata"] is None
        assert main_done["response"]["output"][0]["content"][0]["text"] == (
            "You said: " + long_words
        )
        # only the default response's item joined the conversation
        added = peer.log.of("conversation.item.added")[n_items:]
        oob_item = oob["output"][0]["id"]
        assert [e["item"]["id"] for e in added] == [main_done["response"]["output"][0]["id"]]
        assert added[0]["previous_item_id"] == "item_user1"
        err = await send_and_wait(
            peer, {"type": "conversation.item.retrieve", "item_id": oob_item}, "error"
        )
        assert err["error"]["code"] == "item_not_found"


async def test_out_of_band_input_references_and_cancel(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        await peer.send(user_text("the first thing", "item_a"))
        await peer.send(user_text("the second thing", "item_b"))
        oob = {"conversation": "none", "output_modalities": ["text"]}
        ref = {**oob, "input": [{"type": "item_reference", "id": "item_a"}]}
        done = await send_and_wait(
            peer, {"type": "response.create", "response": ref}, "response.done"
        )
        assert done["response"]["output"][0]["content"][0]["text"] == "You said: the first thing"
        missing = {**oob, "input": [{"type": "item_reference", "id": "item_zzz"}]}
        err = await send_and_wait(
            peer, {"type": "response.create", "event_id": "e9", "response": missing}, "error"
        )
        assert err["error"]["code"] == "item_not_found"
        assert err["error"]["param"] == "response.input[0].id" and err["error"]["event_id"] == "e9"
        # an out-of-band response can be cancelled by its id
        long_input = {
            **oob,
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": " ".join(["go"] * 200)}],
                }
            ],
        }
        created = await send_and_wait(
            peer, {"type": "response.create", "response": long_input}, "response.created"
        )
        rid = created["response"]["id"]
        await peer.log.wait_for(
            "response.output_text.delta", where=lambda e: e["response_id"] == rid
        )
        await peer.send({"type": "response.cancel", "response_id": rid})
        done = await peer.log.wait_for("response.done", where=lambda e: e["response"]["id"] == rid)
        assert done["response"]["status"] == "cancelled"
        assert done["response"]["status_details"]["reason"] == "client_cancelled"
        # the conversation holds only the two user items: nothing out-of-band joined it
        items = {e["item"]["id"] for e in peer.log.of("conversation.item.added")}
        assert items == {"item_a", "item_b"}
