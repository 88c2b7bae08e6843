"""The local server takes pictures (``input_image``) like the real service: checked, kept in
the conversation, described by the echo responder, forwarded by the ``chat:`` responder."""

from __future__ import annotations

from typing import Any

from tests import images
from tests.helpers import local_server
from tests.server.conftest import ws_peer
from tests.server.fake_chat import fake_chat, text_reply
from voicechat.protocol.images import data_url


def picture_item(url: str, caption: str = "") -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "input_image", "image_url": url}]
    if caption:
        content.append({"type": "input_text", "text": caption})
    return {"type": "conversation.item.create", "event_id": "evt_pic",
            "item": {"type": "message", "role": "user", "content": content}}


async def test_the_echo_responder_says_what_picture_it_got() -> None:
    async with local_server() as srv, ws_peer(srv) as peer:
        await peer.send(picture_item(data_url(images.png(640, 480), "image/png"), "what is it"))
        added = await peer.log.wait_for("conversation.item.added")
        assert added["item"]["content"][0]["type"] == "input_image"
        await peer.send({"type": "response.create",
                         "response": {"output_modalities": ["text"]}})
        done = await peer.log.wait_for("response.done")
        text = done["response"]["output"][0]["content"][0]["text"]
        assert text == "I got a PNG image, 640 by 480. You said: what is it"


async def test_a_picture_alone_is_described_too() -> None:
    async with local_server() as srv, ws_peer(srv) as peer:
        await peer.send(picture_item(data_url(images.webp(300, 200), "image/webp")))
        await peer.send({"type": "response.create",
                         "response": {"output_modalities": ["text"]}})
        done = await peer.log.wait_for("response.done")
        assert done["response"]["output"][0]["content"][0]["text"] == (
            "I got a WebP image, 300 by 200.")


async def test_bad_pictures_are_refused_in_the_services_words() -> None:
    async with local_server() as srv, ws_peer(srv) as peer:
        await peer.send(picture_item("https://example.com/cat.png"))
        error = (await peer.log.wait_for("error"))["error"]
        assert error["code"] == "invalid_value"
        assert error["param"] == "item.content[0].image_url"
        assert error["message"].startswith("Invalid 'item.content[0].image_url'. Expected a "
                                           "base64-encoded data URL with an image MIME type")
        assert error["event_id"] == "evt_pic"
        n = len(peer.log.events)
        await peer.send(picture_item(data_url(b"not a picture at all", "image/png")))
        error = (await peer.log.wait_for("error", after=n))["error"]
        assert error["code"] == "invalid_image_format"
        assert "['png', 'jpeg', 'gif', 'webp']" in error["message"]
        assert not peer.log.of("conversation.item.added")  # nothing was kept


async def test_the_chat_responder_forwards_pictures_as_image_url_content() -> None:
    url = data_url(images.jpeg(320, 240), "image/jpeg")
    async with fake_chat(text_reply("A small test picture.")) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv, ws_peer(srv) as peer:
        await peer.send(picture_item(url, "describe it"))
        await peer.send({"type": "response.create",
                         "response": {"output_modalities": ["text"]}})
        done = await peer.log.wait_for("response.done")
        assert done["response"]["status"] == "completed"
    messages = chat.requests[0]["messages"]
    assert messages[-1] == {"role": "user", "content": [
        {"type": "text", "text": "describe it"},
        {"type": "image_url", "image_url": {"url": url}}]}
    assert sum(1 for m in messages if m["role"] == "user") == 1  # not repeated as plain text
