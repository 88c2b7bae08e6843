"""A Gemini Live frame as the event log keeps it: the user's voice and the model's out.

Realtime and GPT-Live audio rides in ``audio``/``delta`` strings the event log's redaction
knows; Gemini's rides in ``{"data": <base64>, "mimeType": …}`` blobs (``realtimeInput.audio``,
``realtimeInput.video``, ``modelTurn.parts[].inlineData``), so the client family replaces each
blob's ``data`` with ``{"bytes": N}`` before a frame is recorded. The frame keeps its shape
(and no ``type``: :func:`~voicechat.protocol.gemini.family.side_of` still tells it apart).

Resumption handles are left out too (``setup.sessionResumption.handle``,
``sessionResumptionUpdate.newHandle``): with the key, a handle reopens the conversation for
hours, so a log attached to a bug report must not carry one. That a handle was there stays
visible (``[redacted]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.protocol.gemini import spelling
from voicechat.protocol.gemini.audio import b64_length
from voicechat.protocol.secrets import REDACTED

_BLOBS = frozenset({"audio", "video", "inlineData", "mediaChunks"})
_HANDLES = frozenset({"handle", "newHandle"})


def redacted(frame: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``frame`` with every media blob's ``data`` as ``{"bytes": N}``."""
    out = _walk(frame, blob=False)
    assert isinstance(out, dict)
    return out


def _walk(value: Any, *, blob: bool, resumption: bool = False) -> Any:
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = spelling.camel(str(key))
            if blob and key == "data" and isinstance(item, str):
                result[key] = {"bytes": b64_length(item)}
            elif resumption and name in _HANDLES and isinstance(item, str) and item:
                result[key] = REDACTED
            else:
                result[key] = _walk(item, blob=name in _BLOBS,
                                    resumption=name in ("sessionResumption",
                                                        "sessionResumptionUpdate"))
        return result
    if isinstance(value, list):
        return [_walk(item, blob=blob) for item in value]
    return value
