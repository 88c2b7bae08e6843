"""A picture file for ``/image``: read, checked by its bytes, bounded by the transport."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from tests import images
from voicechat.core.image_command import ImageCommand
from voicechat.runtime.image_file import (
    WEBRTC_LIMIT,
    WEBSOCKET_LIMIT,
    ImageFileError,
    load_image,
)


def load(path: Path | str, transport: str = "webrtc", caption: str = "") -> object:
    return load_image(ImageCommand(str(path), caption), transport)


def test_a_picture_is_read_by_its_bytes_whatever_its_name(tmp_path: Path) -> None:
    path = images.write(tmp_path / "really-a-jpeg.png", images.jpeg(640, 480))
    image = load_image(ImageCommand(str(path), "what is it"), "webrtc")
    assert image.info.format == "JPEG"
    assert image.url.startswith("data:image/jpeg;base64,")
    assert image.caption == "what is it"


def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    images.write(tmp_path / "cat.gif", images.gif())
    assert load_image(ImageCommand("~/cat.gif"), "webrtc").info.format == "GIF"


@pytest.mark.parametrize(("setup", "words"), [
    (lambda d: d / "missing.png", ["no such file", "missing.png", "check the path"]),
    (lambda d: d, ["is a folder", "give the path"]),
    (lambda d: images.write(d / "empty.png", b""), ["is empty"]),
    (lambda d: images.write(d / "notes.png", b"just some text, not a picture"),
     ["is not a PNG, JPEG, WebP or GIF", "by its content", "convert it"]),
])
def test_problems_name_the_file_and_the_fix(tmp_path: Path, setup: object,
                                            words: list[str]) -> None:
    path = setup(tmp_path)  # type: ignore[operator]
    with pytest.raises(ImageFileError) as caught:
        load(path)
    for word in words:
        assert word in str(caught.value)


def test_no_path_shows_how_to_use_the_command() -> None:
    with pytest.raises(ImageFileError, match=r"/image needs the path .* /image PATH \[caption\]"):
        load_image(ImageCommand(""), "webrtc")


def test_the_size_limit_depends_on_the_transport(tmp_path: Path) -> None:
    big = images.png() + b"\0" * (WEBRTC_LIMIT + 1)  # still a PNG by its bytes
    path = images.write(tmp_path / "big.png", big)
    with pytest.raises(ImageFileError) as caught:
        load(path, "webrtc")
    message = str(caught.value)
    assert "over WebRTC a picture may be at most 180 KB" in message
    assert "--transport websocket (up to 10.0 MB)" in message
    assert load(path, "websocket") is not None
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.write(images.png())
        file.truncate(WEBSOCKET_LIMIT + 1)
    with pytest.raises(ImageFileError, match=r"at most 10\.0 MB"):
        load(huge, "websocket")


def test_an_unreadable_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The OS refusing the read is said as such. The refusal is made by the test, not by
    ``chmod 0``: CI runs as root, which reads files whatever their mode, and a skip there
    would leave the message untested."""
    path = images.write(tmp_path / "locked.png", images.png())

    def refused(self: Path, *args: object, **kwargs: object) -> NoReturn:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refused)
    with pytest.raises(ImageFileError, match="permission denied"):
        load(path)
