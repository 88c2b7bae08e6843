"""Pictures the client sends (``input_image`` parts): checked like the real service, described,
and shown to a chat endpoint.

The Realtime API (GA) takes a picture as a base64 ``data:`` URL in a user message
(``{"type": "input_image", "image_url": "data:image/png;base64,…"}``). The schema check
(:mod:`voicechat.protocol.validation`) has already made sure of the shapes; here the URL and the
bytes are checked — a data URL of an image MIME type whose bytes are PNG, JPEG, GIF or WebP, as
the API lists — and a bad one refuses the whole item with the API's wording
(``invalid_image_url`` and ``unsupported_image`` of :mod:`voicechat.protocol.errors`).
A format the MIME type does not match is accepted, as the bytes decide (the API sniffs too
[infer]).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.protocol import errors
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.images import ImageInfo, parse_data_url, sniff_image


def image_parts(item: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """The ``input_image`` parts of an item with their index in ``content``."""
    content = item.get("content")
    if not isinstance(content, list):
        return []
    return [(i, part) for i, part in enumerate(content)
            if isinstance(part, Mapping) and part.get("type") == "input_image"]


def check_images(item: Mapping[str, Any], path: str = "item") -> ProtocolError | None:
    """The first problem of the item's pictures, or ``None`` when they are all good."""
    for index, part in image_parts(item):
        where = f"{path}.content[{index}].image_url"
        url = part.get("image_url")
        parsed = parse_data_url(url) if isinstance(url, str) else None
        if parsed is None or not parsed[0].startswith("image/"):
            return errors.invalid_image_url(where)
        if sniff_image(parsed[1]) is None:
            return errors.unsupported_image(where)
    return None


def describe_url(url: Any) -> ImageInfo | None:
    """What a (checked) data URL holds."""
    parsed = parse_data_url(url) if isinstance(url, str) else None
    return sniff_image(parsed[1]) if parsed is not None else None


def chat_content(item: Mapping[str, Any], text: str) -> str | list[dict[str, Any]]:
    """A user message's content for a chat-completions endpoint: its text, and with pictures
    a list of parts (``text``, then ``image_url`` ones), the shape vision models take."""
    images = image_parts(item)
    if not images:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for _, part in images:
        image: dict[str, Any] = {"url": part.get("image_url")}
        if part.get("detail"):
            image["detail"] = part.get("detail")
        parts.append({"type": "image_url", "image_url": image})
    return parts


def images_in(content: Any) -> list[ImageInfo]:
    """The pictures of a chat message's content (for a responder that says what it got)."""
    if not isinstance(content, list):
        return []
    found = []
    for part in content:
        if isinstance(part, Mapping) and part.get("type") == "image_url":
            image = part.get("image_url")
            info = describe_url(image.get("url") if isinstance(image, Mapping) else None)
            if info is not None:
                found.append(info)
    return found
