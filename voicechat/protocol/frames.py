"""Turn one frame from the server into the canonical (GA-shaped) event, once.

The client runtime logs the event as it arrived and hands the core its canonical form; the
core's own ``receive_wire`` (used by tests and tools that have no runtime) does the same. Both
go through :func:`decode_server_frame`, so a frame is decoded and mapped exactly once and a bad
frame is worded the same way wherever it shows up.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import orjson

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.mapping import server_event_to_canonical


class ServerFrame(NamedTuple):
    """What one server frame turned out to be.

    ``wire`` is the event as it arrived (``None`` when the frame is not a JSON object with a
    ``type``); ``canonical`` is its GA shape, or ``None`` with ``problem`` saying why not.
    A named tuple rather than a frozen dataclass: just as immutable, and one is built per
    frame, where a frozen dataclass's ``__init__`` costs about as much as decoding a delta.
    """

    wire: dict[str, Any] | None
    canonical: dict[str, Any] | None
    problem: str | None = None


def load_json(data: str | bytes) -> Any:
    """orjson when it takes the frame (about 4× the stdlib's speed), else the stdlib's verdict.

    The stdlib stays the reference: orjson refuses a few things it accepts (NaN, integers past
    64 bits, UTF-16 bytes), so a frame is only "not JSON" when the stdlib says so too, in the
    stdlib's words.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            return json.loads(data)
        except RecursionError as exc:  # nested deeper than any event: not one of ours
            raise ValueError("nested too deeply") from exc


def decode_server_frame(data: str | bytes, dialect: Dialect, *, strict: bool = False
                        ) -> ServerFrame:
    """Parse ``data`` in ``dialect`` and map it to GA.

    Never raises on bad input unless ``strict`` (tests use it to surface mapping bugs): a frame
    that is not JSON, not an object, has no ``type`` string, or cannot be mapped comes back
    with ``problem`` set, worded for a notice.
    """
    try:
        obj = load_json(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return ServerFrame(None, None, f"ignored a server message that is not JSON ({exc})")
    if type(obj) is not dict:
        return ServerFrame(None, None, "ignored a server message that is not a JSON object")
    kind = obj.get("type")
    if not isinstance(kind, str):
        return ServerFrame(None, None, "ignored a server event without a 'type' string")
    if dialect is Dialect.GA:  # already canonical: the copy server_event_to_canonical makes
        return ServerFrame(obj, dict(obj))
    try:
        canonical = server_event_to_canonical(obj, dialect)
    except Exception as exc:
        if strict:
            raise
        return ServerFrame(obj, None, f"could not map {kind[:80]!r}: {exc!r}")
    return ServerFrame(obj, canonical)
