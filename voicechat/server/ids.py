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
