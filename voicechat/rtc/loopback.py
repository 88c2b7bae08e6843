"""Keep WebRTC ICE on 127.0.0.1 when both peers live on this machine.

aioice skips 127.0.0.1 when it gathers host candidates, so two aiortc peers on one machine pair
over the LAN address (or fail inside a network namespace that only has ``lo``). The local server,
and the client when it talks to the local server, call :func:`use_loopback_ice` so that ICE,
DTLS and SRTP stay on loopback. The client talking to OpenAI must never call it.
"""

from __future__ import annotations

import sys
from typing import Any

_original: Any = None
_wished = False


def use_loopback_ice() -> None:
    """Make aioice offer only 127.0.0.1 host candidates (idempotent, process-wide).

    A server that has had no WebRTC call yet has not loaded aioice (the WebRTC stack costs
    ~0.6 s of CPU to import, issue 77): the wish is kept, and :func:`apply_loopback_wish` grants
    it where the server's WebRTC modules load."""
    global _wished
    _wished = True
    if "aioice.ice" in sys.modules:
        _loopback_only()


def apply_loopback_wish() -> None:
    """Called by the modules that load the WebRTC stack: loopback ICE if it was wished."""
    if _wished:
        _loopback_only()


def _loopback_only() -> None:
    global _original
    import aioice.ice

    if _original is None:
        _original = aioice.ice.get_host_addresses

    def loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback_only


def restore_default_ice() -> None:
    """Undo :func:`use_loopback_ice` (for a client that moves on to a remote server)."""
    global _original, _wished
    _wished = False
    if _original is not None:
        import aioice.ice

        aioice.ice.get_host_addresses = _original
        _original = None
