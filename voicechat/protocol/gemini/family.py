"""Whether a JSON object is a Gemini Live frame: how a log's reader or the doctor tells the
family from its frames.

Realtime and GPT-Live events carry a ``type``; a Gemini Live frame never does, and is keyed by
its message (``setup``, ``serverContent``…, either spelling). One such key and no ``type`` make
a Gemini frame; which side sent it follows from the key (a message of the client's or the
server's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.protocol.gemini import names, spelling

_CLIENT = frozenset(names.CLIENT_MESSAGES)
_SERVER = frozenset(names.SERVER_MESSAGES)


def side_of(payload: Any) -> str | None:
    """``"client"`` or ``"server"`` for a Gemini Live frame, ``None`` for anything else."""
    if not isinstance(payload, Mapping) or not payload or "type" in payload:
        return None
    keys = {spelling.camel(str(key)) for key in payload}
    if keys <= _CLIENT:
        return "client"
    if keys <= _SERVER:
        return "server"
    return None


def is_gemini_frame(payload: Any) -> bool:
    return side_of(payload) is not None
