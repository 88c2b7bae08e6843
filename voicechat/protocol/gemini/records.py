"""A Gemini Live frame as the event log keeps it: the user's voice and the model's out.

Realtime and GPT-Live audio rides in ``audio``/``delta`` strings the event log's redaction
knows; Gemini's rides in ``{"data": <base64>, "mimeType": …}`` blobs (``realtimeInput.audio``,
``realtimeInput.video``, ``modelTurn.parts[].inlineData``), so the client family replaces each
blob's ``data`` with ``{"bytes": N}`` before a frame is recorded. The frame keeps its shape
(and no ``type``: :func:`~voicechat.protocol.gemini.family.side_of` still tells it apart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.protocol.gemini import spelling
from voicechat.protocol.gemini.audio import b64_length

_BLOBS = frozenset({"audio", "video", "inlineData", "mediaChunks"})


def redacted(frame: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``frame`` with every media blob's ``data`` as ``{"bytes": N}``."""
    out = _walk(frame, blob=False)
    assert isinstance(out, dict)
    return out


def _walk(value: Any, *, blob: bool) -> Any:
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if blob and key == "data" and isinstance(item, str):
                result[key] = {"bytes": b64_length(item)}
            else:
                result[key] = _walk(item, blob=spelling.camel(str(key)) in _BLOBS)
        return result
    if isinstance(value, list):
        return [_walk(item, blob=blob) for item in value]
    return value
