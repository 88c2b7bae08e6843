"""``/image`` on ``voicechat --no-ui`` stdin: the installed client sends the picture as an
``input_image`` item to our real local server (in this process, on 127.0.0.1), which keeps it
and answers what it got; a bad file is said on stderr and sends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import images
from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server


def outgoing_items(records: list[dict]) -> list[dict]:
    return [r["event"]["item"] for r in records
            if r["dir"] == "out" and r["event"].get("type") == "conversation.item.create"]


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
async def test_a_picture_is_sent_acknowledged_and_answered(tmp_path: Path,
                                                           transport: str) -> None:
    picture = images.write(tmp_path / "photo.png", images.png(64, 48))
    async with local_server() as srv:
        code, out, err, records = await run_no_ui(
            tmp_path, srv.base_url, transport, f"/image {picture} what is in it?\n",
            "--turns", "1")
    assert code == 0, err[-3000:]
    item = outgoing_items(records)[0]
    assert item["content"][0]["type"] == "input_image"
    assert item["content"][0]["image_url"].startswith("data:image/png;base64,")
    assert item["content"][1] == {"type": "input_text", "text": "what is in it?"}
    acknowledged = [r["event"]["item"] for r in records if r["dir"] == "in"
                    and r["event"].get("type") == "conversation.item.done"
                    and r["event"]["item"].get("role") == "user"]
    assert acknowledged and acknowledged[0]["content"][0]["type"] == "input_image"
    assert "I got a PNG image, 64 by 48. You said: what is in it?" in out


async def test_a_bad_file_is_said_and_nothing_is_sent(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not a picture", encoding="utf-8")
    async with local_server() as srv:
        code, out, err, records = await run_no_ui(
            tmp_path, srv.base_url, "websocket",
            f"/image {tmp_path / 'missing.jpg'}\n/image {text} and?\nhello\n")
    assert code == 1
    assert "no such file" in err and "missing.jpg" in err
    assert "is not a PNG, JPEG, WebP or GIF picture" in err
    items = outgoing_items(records)
    assert [part["type"] for item in items for part in item["content"]] == ["input_text"]
    assert "hello" in out  # the next line still went out and was answered


async def test_the_beta_dialect_says_it_has_no_images(tmp_path: Path) -> None:
    picture = images.write(tmp_path / "photo.gif", images.gif())
    async with local_server() as srv:
        code, _out, err, records = await run_no_ui(
            tmp_path, srv.base_url, "websocket", f"/image {picture}\n", "--dialect", "beta")
    assert code == 1
    assert "the beta dialect has no images" in err
    assert outgoing_items(records) == []


async def test_the_log_keeps_the_pictures_shape_but_not_the_picture(tmp_path: Path) -> None:
    picture = images.write(tmp_path / "photo.png", images.png(64, 48))
    async with local_server() as srv:
        code, _out, err, records = await run_no_ui(
            tmp_path, srv.base_url, "websocket", f"/image {picture}\n", "--turns", "1")
    assert code == 0, err[-3000:]
    size = len(images.png(64, 48))
    urls = [part["image_url"] for r in records for part in (r["event"].get("item") or {}).get(
        "content") or [] if part.get("type") == "input_image"]
    assert urls and set(urls) == {f"data:image/png;base64,<{size} bytes>"}
    assert "iVBOR" not in (tmp_path / "log.jsonl").read_text(encoding="utf-8")

