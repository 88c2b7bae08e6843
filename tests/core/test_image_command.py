"""``/image PATH [caption]`` parsed, and a picture as the core sends it (GA only)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.core.harness import Harness, notices, sends, sent_types
from voicechat.core import SendImage
from voicechat.core.image_command import ImageCommand, parse_image_command

URL = "data:image/png;base64,iVBORw0KGgo="


def test_the_command_and_its_caption() -> None:
    assert parse_image_command("/image cat.png") == ImageCommand("cat.png", "")
    assert parse_image_command("  /image ~/cat.png  what is this?  ") == ImageCommand(
        "~/cat.png", "what is this?")
    assert parse_image_command('/image "my cat.png" who is it') == ImageCommand(
        "my cat.png", "who is it")
    assert parse_image_command("/image 'unclosed name.png") == ImageCommand("unclosed name.png")
    assert parse_image_command("/image") == ImageCommand("")
    assert parse_image_command("/image\tcat.png") == ImageCommand("cat.png")


def test_ordinary_text_is_no_command() -> None:
    for text in ("hello", "/imagine a cat", "an /image cat.png", "/images", ""):
        assert parse_image_command(text) is None


@given(st.text(max_size=40))
def test_parsing_never_raises_and_only_takes_the_command(text: str) -> None:
    command = parse_image_command(text)
    if command is not None:
        assert text.split(maxsplit=1)[0] == "/image"


def test_a_picture_is_an_input_image_item_with_its_caption_then_a_response() -> None:
    h = Harness()
    h.start()
    actions = h.do(SendImage(URL, "what is this?", "a PNG image"))
    assert sent_types(actions) == ["conversation.item.create", "response.create"]
    item = sends(actions)[0]["item"]
    assert item["role"] == "user"
    assert item["content"] == [{"type": "input_image", "image_url": URL},
                               {"type": "input_text", "text": "what is this?"}]


def test_without_a_caption_the_item_is_the_picture_alone() -> None:
    h = Harness()
    h.start()
    item = sends(h.do(SendImage(URL)))[0]["item"]
    assert item["content"] == [{"type": "input_image", "image_url": URL}]


def test_the_beta_dialect_has_no_images_and_sends_nothing() -> None:
    h = Harness(dialect="beta")
    h.start()
    actions = h.do(SendImage(URL, "hi", "a PNG image, 64 by 48"))
    assert sends(actions) == []
    assert notices(actions, "warning") == [
        "a PNG image, 64 by 48 not sent: the beta dialect has no images (connect with "
        "--dialect ga)"]


def test_transcribe_mode_sends_no_picture() -> None:
    h = Harness(mode="transcribe")
    h.start()
    actions = h.do(SendImage(URL))
    assert sends(actions) == [] and notices(actions, "warning")


def test_the_transcript_names_the_picture_beside_its_caption() -> None:
    h = Harness()
    h.start()
    item = {"id": "item_1", "type": "message", "role": "user", "content": [
        {"type": "input_image", "image_url": URL}, {"type": "input_text", "text": "what?"}]}
    h.ev("conversation.item.added", item=item, previous_item_id=None)
    entry = next(e for e in h.view.entries if e.id == "item_1")
    assert entry.text == "[PNG image] what?"
