"""Pictures judged by their bytes: format and size of PNG, JPEG, WebP and GIF, data URLs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests import images
from voicechat.protocol.images import (
    data_url,
    data_url_bytes,
    data_url_label,
    parse_data_url,
    sniff_image,
)


def test_each_format_is_known_by_its_bytes_with_its_size() -> None:
    cases = [(images.png(64, 48), "PNG", 64, 48), (images.jpeg(640, 480), "JPEG", 640, 480),
             (images.gif(10, 20), "GIF", 10, 20), (images.webp(300, 200), "WebP", 300, 200)]
    for data, name, width, height in cases:
        info = sniff_image(data)
        assert info is not None
        assert (info.format, info.width, info.height, info.size) == (name, width, height,
                                                                    len(data))
    assert sniff_image(images.png(640, 480)).describe() == "a PNG image, 640 by 480"  # type: ignore[union-attr]


def test_text_and_other_formats_are_not_images() -> None:
    assert sniff_image(b"hello, this is text") is None
    assert sniff_image(b"%PDF-1.7\n") is None
    assert sniff_image(b"BM" + b"\x00" * 60) is None  # BMP: the API does not take it
    assert sniff_image(b"") is None


def test_a_cut_header_keeps_the_format_without_a_size() -> None:
    info = sniff_image(images.png()[:20])
    assert info is not None and info.format == "PNG" and info.width is None
    assert info.describe() == "a PNG image"


def test_data_url_round_trip_and_label() -> None:
    data = images.png()
    url = data_url(data, "image/png")
    assert url.startswith("data:image/png;base64,")
    assert parse_data_url(url) == ("image/png", data)
    assert len(url) == data_url_bytes(len(data), "image/png")
    assert data_url_label(url) == "[PNG image]"
    assert data_url_label("https://example.com/cat.png") == "[image]"
    assert parse_data_url("https://example.com/cat.png") is None
    assert parse_data_url("data:image/png;base64,@@@") is None
    assert parse_data_url("data:image/png,plain") is None


@given(st.binary(max_size=200))
def test_sniffing_never_raises(data: bytes) -> None:
    info = sniff_image(data)
    if info is not None:
        assert info.mime.startswith("image/") and info.size == len(data)


@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8\xff", b"RIFF\0\0\0\0WEBP"]),
       st.binary(max_size=64))
def test_any_tail_after_a_signature_keeps_the_format(head: bytes, tail: bytes) -> None:
    info = sniff_image(head + tail)
    assert info is not None
    assert info.width is None or info.width >= 0
