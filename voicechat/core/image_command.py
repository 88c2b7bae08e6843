"""``/image PATH [caption]``: the typed command that sends a picture, parsed.

The TUI's message box and ``--no-ui`` stdin both take it, so the parse lives below both. A path
with spaces is quoted (``/image "my photo.jpg" what is this?``); everything after the path is the
caption. Reading the file is the runtime's job (:mod:`voicechat.runtime.image_file`).
"""

from __future__ import annotations

from dataclasses import dataclass

COMMAND = "/image"
USAGE = "/image PATH [caption], e.g. /image ~/photo.jpg what is in this picture?"


@dataclass(frozen=True)
class ImageCommand:
    """The path as typed (``""`` when none was given) and the caption (may be empty)."""

    path: str
    caption: str = ""


def parse_image_command(text: str) -> ImageCommand | None:
    """The command in ``text``, or ``None`` when ``text`` is an ordinary message."""
    stripped = text.strip()
    if stripped.split(maxsplit=1)[:1] != [COMMAND]:
        return None
    rest = stripped[len(COMMAND):].strip()
    if not rest:
        return ImageCommand("")
    quote = rest[0]
    if quote in "\"'":
        end = rest.find(quote, 1)
        if end > 0:
            return ImageCommand(rest[1:end], rest[end + 1:].strip())
        return ImageCommand(rest[1:])  # no closing quote: the rest is the path
    path, *caption = rest.split(maxsplit=1)
    return ImageCommand(path, caption[0].strip() if caption else "")
