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
from voicechat.protocol.mapping import BETA_TO_GA_SERVER_NAMES, server_event_to_canonical


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

    The stdlib stays the reference for what is JSON: orjson refuses a few things it accepts
    (NaN, UTF-16 bytes), so a frame is only "not JSON" when the stdlib says so too, in the
    stdlib's words. One difference is left on purpose: orjson reads an integer past 64 bits as
    a float (the stdlib: an exact ``int``). No Realtime field holds such a number, and telling
    one apart costs a scan of every frame (~0.5 µs, a sixth of the core's per-event budget);
    the text-log scanner, where it is cheap, does that scan (``eventlog/textscan.py``).
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            return json.loads(data)
        except RecursionError as exc:  # nested deeper than any event: not one of ours
            raise ValueError("nested too deeply") from exc


def canonical_event(data: str | bytes, dialect: Dialect) -> dict[str, Any] | None:
    """The canonical event of a frame whose wire form no one keeps, or ``None`` where
    :func:`decode_server_frame` has a problem to report (ask it for the wording).

    The hot path of :meth:`voicechat.core.Session.receive_wire`: no :class:`ServerFrame` and,
    in GA, no copy, since the decoded object is the caller's alone (``decode_server_frame``
    copies because the runtime logs the wire object while the core holds the canonical one).
    Equal to ``decode_server_frame(data, dialect).canonical`` (``tests/protocol`` checks).
    """
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None  # the stdlib may still take it: decode_server_frame decides
    if type(obj) is not dict or type(obj.get("type")) is not str:
        return None
    if dialect is Dialect.GA:
        return obj
    if "session" not in obj and "item" not in obj and "response" not in obj:
        # The beta deltas: only the name can differ (server_event_to_canonical's fast path),
        # renamed in place as no one else holds this object.
        renamed = BETA_TO_GA_SERVER_NAMES.get(obj["type"])
        if renamed is not None:
            obj["type"] = renamed
        return obj
    try:
        return server_event_to_canonical(obj, dialect)
    except Exception:
        return None


def decode_server_frame(data: str | bytes, dialect: Dialect, *, strict: bool = False
                        ) -> ServerFrame:
    """Parse ``data`` in ``dialect`` and map it to GA.

    Never raises on bad input unless ``strict`` (tests use it to surface mapping bugs): a frame
    that is not JSON, not an object, has no ``type`` string, or cannot be mapped comes back
    with ``problem`` set, worded for a notice.
    """
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
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
        return _frame(ServerFrame, (obj, dict(obj), None))
    try:
        canonical = server_event_to_canonical(obj, dialect)
    except Exception as exc:
        if strict:
            raise
        return ServerFrame(obj, None, f"could not map {kind[:80]!r}: {exc!r}")
    return _frame(ServerFrame, (obj, canonical, None))


#: ``ServerFrame(wire, canonical)`` without the generated ``__new__``'s Python-level call: the
#: tuple is the same, at a third of the cost, once per frame.
_frame = tuple.__new__
