"""A picture file read for ``/image``: checked, bounded, and turned into a data URL.

Every way it can go wrong is an :class:`ImageFileError` whose message names the file, the
problem and the fix, so the TUI can show it and keep what was typed, and ``--no-ui`` can print it.

Decision — the size limit depends on the transport, because the whole picture travels in one
client event:

* WebRTC carries events on the data channel, one SCTP message each. aiortc (our local server)
  advertises ``max-message-size`` 262144 bytes and refuses to send more; browsers advertise the
  same; what OpenAI's peer advertises is not documented [infer: the same]. A data URL is 4/3 of
  the file plus the event's JSON, so a file of at most :data:`WEBRTC_LIMIT` (180 KiB) fits with
  room for a long caption.
* WebSocket events may be up to 15 MiB (the API's limit, which the local server keeps); base64
  of :data:`WEBSOCKET_LIMIT` (10 MiB) is 13.3 MiB, again with room to spare.

The error says both, so the user can shrink the picture or switch transport.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voicechat.core import Notice, Send, SendImage
from voicechat.core.image_command import USAGE, ImageCommand
from voicechat.protocol.images import ImageInfo, data_url, sniff_image

if TYPE_CHECKING:
    from voicechat.runtime.driver import Driver

WEBRTC_LIMIT = 180 * 1024
WEBSOCKET_LIMIT = 10 * 1024 * 1024


class ImageFileError(ValueError):
    """A picture that cannot be sent; the message says why and what to do."""


@dataclass(frozen=True)
class LoadedImage:
    """A picture ready to send: what it is and its ``data:`` URL."""

    info: ImageInfo
    url: str
    caption: str


def limit_for(transport: str) -> int:
    return WEBSOCKET_LIMIT if transport == "websocket" else WEBRTC_LIMIT


def human_size(n: int) -> str:
    """``512 bytes``, ``180 KB``, ``2.4 MB`` (binary units, as the limits are)."""
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def load_image(command: ImageCommand, transport: str) -> LoadedImage:
    """Read, check and encode the picture ``command`` names; :class:`ImageFileError` if not."""
    if not command.path:
        raise ImageFileError(f"/image needs the path of a picture: {USAGE}")
    path = Path(os.path.expanduser(command.path))
    limit = limit_for(transport)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise ImageFileError(f"{path} is a folder, not a picture: give the path of a "
                                 "PNG, JPEG, WebP or GIF file")
        if size > limit:
            raise ImageFileError(_too_big(path, size, transport))
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except FileNotFoundError:
        raise ImageFileError(f"no such file: {path} (check the path; quote a path with "
                             "spaces: /image \"my photo.jpg\")") from None
    except PermissionError:
        raise ImageFileError(f"cannot read {path}: permission denied (check the file's "
                             "permissions)") from None
    except OSError as exc:
        raise ImageFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:  # it grew between stat and read
        raise ImageFileError(_too_big(path, len(data), transport))
    if not data:
        raise ImageFileError(f"{path} is empty: give a PNG, JPEG, WebP or GIF picture")
    info = sniff_image(data)
    if info is None:
        raise ImageFileError(f"{path} is not a PNG, JPEG, WebP or GIF picture (judged by its "
                             "content, not its name): convert it to one of those, e.g. PNG")
    return LoadedImage(info, data_url(data, info.mime), command.caption)


def _too_big(path: Path, size: int, transport: str) -> str:
    limit = limit_for(transport)
    if transport == "websocket":
        return (f"{path} is {human_size(size)}; a picture may be at most {human_size(limit)} "
                "(one event carries it whole): make it smaller, e.g. 1024 pixels wide as JPEG")
    return (f"{path} is {human_size(size)}; over WebRTC a picture may be at most "
            f"{human_size(limit)} (one data-channel message carries it): make it smaller, e.g. "
            f"1024 pixels wide as JPEG, or use --transport websocket (up to "
            f"{human_size(WEBSOCKET_LIMIT)})")


def image_input(command: ImageCommand, transport: str) -> SendImage:
    """The core's input for the picture ``command`` names (:class:`ImageFileError` if none)."""
    image = load_image(command, transport)
    return SendImage(image.url, image.caption, image.info.describe())


def send_image_file(driver: Driver, path: str, caption: str, transport: str) -> str | None:
    """``/image PATH [caption]`` through ``driver``: the problem when nothing went out (a bad
    file, read here; the beta dialect, refused by the core with a notice), else ``None``."""
    try:
        image = image_input(ImageCommand(path, caption), transport)
    except ImageFileError as exc:
        return str(exc)
    actions = driver.user("send_image", image)
    if any(isinstance(a, Send) for a in actions):
        return None
    return next((str(a.message) for a in actions if isinstance(a, Notice)), "not sent")
