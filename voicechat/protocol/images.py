"""Pictures in a conversation: what kind of image some bytes are, and their data URL.

The Realtime API (GA) takes a picture as a user message part ``{"type": "input_image",
"image_url": "data:image/png;base64,…"}`` (``openai.types.realtime``'s
``RealtimeConversationItemUserMessage`` content, ``detail`` optional). The client and the local
server both need to know what an image really is — the client to refuse a file that is not
one before it is sent, the server to check what it was given and say what it got — and both must
judge by the bytes, never by a file name: a ``.png`` that is really a JPEG is a JPEG.

Sans-IO: bytes in, facts out. Width and height are read from the header of each format (PNG's
IHDR, GIF's logical screen, JPEG's first SOF marker, WebP's VP8/VP8L/VP8X chunk); ``None`` when
the header is cut short, which does not make the image unsupported.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

# Decision: the four formats OpenAI's image inputs take elsewhere (chat, responses: png, jpeg,
# gif, webp). The SDK's docstring of the Realtime ``input_image`` part (openai 3.52,
# ``RealtimeConversationItemUserMessage.Content.image_url``) says "Supported formats are PNG and
# JPEG"; whether the live service refuses WebP and GIF is not verified [unverified]. We send and
# accept all four, and the README says PNG and JPEG are the safe choice for OpenAI.
FORMATS: dict[str, str] = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WebP": "image/webp",
    "GIF": "image/gif",
}
"""The formats the API takes (its own list: png, jpeg, gif, webp), by name, with their MIME."""

MIME_TYPES = frozenset(FORMATS.values())

# JPEG start-of-frame markers carry the size; C4 (huffman), C8 (reserved), CC (arithmetic) do not.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(frozen=True)
class ImageInfo:
    """What some bytes are: the format's name, its MIME type, the size in pixels if known."""

    format: str
    mime: str
    width: int | None = None
    height: int | None = None
    size: int = 0  # bytes

    def describe(self) -> str:
        """``a PNG image, 640 by 480`` (the size left out when the header did not say)."""
        article = "an" if self.format[0] in "AEIOU" else "a"
        if self.width is None or self.height is None:
            return f"{article} {self.format} image"
        return f"{article} {self.format} image, {self.width} by {self.height}"


def sniff_image(data: bytes) -> ImageInfo | None:
    """The image ``data`` is, or ``None`` when it is none of PNG, JPEG, WebP or GIF."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height = _png_size(data)
        return ImageInfo("PNG", FORMATS["PNG"], width, height, len(data))
    if data.startswith((b"GIF87a", b"GIF89a")):
        size = struct.unpack_from("<HH", data, 6) if len(data) >= 10 else (None, None)
        return ImageInfo("GIF", FORMATS["GIF"], size[0], size[1], len(data))
    if data.startswith(b"\xff\xd8\xff"):
        width, height = _jpeg_size(data)
        return ImageInfo("JPEG", FORMATS["JPEG"], width, height, len(data))
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        width, height = _webp_size(data)
        return ImageInfo("WebP", FORMATS["WebP"], width, height, len(data))
    return None


def data_url(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,<data>``: how the GA ``input_image`` part carries a picture."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def data_url_bytes(n: int, mime: str = "image/jpeg") -> int:
    """How long the data URL of ``n`` bytes is (base64 turns 3 bytes into 4 characters)."""
    return len(f"data:{mime};base64,") + 4 * ((n + 2) // 3)


def parse_data_url(url: str) -> tuple[str, bytes] | None:
    """``(mime, bytes)`` of a base64 ``data:`` URL; ``None`` when it is not one."""
    if not url.startswith("data:"):
        return None
    head, sep, payload = url[5:].partition(",")
    if not sep or not head.endswith(";base64"):
        return None
    mime = head[: -len(";base64")].split(";")[0].strip().lower()
    try:
        return mime, base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def _png_size(data: bytes) -> tuple[int | None, int | None]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None, None
    width, height = struct.unpack_from(">II", data, 16)
    return int(width), int(height)


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    """Walk the marker segments to the first start-of-frame (bounded by the data's length)."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None, None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        (length,) = struct.unpack_from(">H", data, i + 2)
        if marker in _SOF:
            if i + 9 > len(data):
                return None, None
            height, width = struct.unpack_from(">HH", data, i + 5)
            return int(width), int(height)
        if length < 2:
            return None, None
        i += 2 + length
    return None, None


def _webp_size(data: bytes) -> tuple[int | None, int | None]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None, None


def data_url_label(url: object) -> str:
    """``[PNG image]`` for a transcript line, from the data URL's head only (no decoding)."""
    if isinstance(url, str) and url.startswith("data:"):
        mime = url[5:60].split(";")[0].split(",")[0].lower()
        for name, known in FORMATS.items():
            if known == mime:
                return f"[{name} image]"
    return "[image]"
