"""Identifiers shaped like the real server's (``event_…``, ``item_…``, ``resp_…``, ``sess_…``).

Clients and tools sometimes key on the prefix (the doctor does), so the local server keeps it.
"""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """``prefix_`` followed by 22 random URL-safe characters."""
    return f"{prefix}_{secrets.token_hex(11)}"


def event_id() -> str:
    return new_id("event")


_OBFUSCATION_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def obfuscation(delta: str) -> str:
    """The ``obfuscation`` padding the real GA server adds to streamed text deltas.

    Real GA logs show random alphanumerics that bring the delta up to a multiple of 16
    characters (``"The"`` + 13, ``"Sure"`` + 12, ``"Hi"`` + 14), so a delta's size on the wire
    does not give away its length. Clients must ignore it; the local server sends it so that the
    peers it tests meet a field their typed models do not declare.
    """
    pad = 16 - len(delta) % 16
    return "".join(secrets.choice(_OBFUSCATION_ALPHABET) for _ in range(pad))
