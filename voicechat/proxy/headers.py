"""Which request and response headers cross the proxy, and which stay on their own hop.

RFC 9110 §7.6.1: ``Connection`` and the headers it names, plus the classic hop-by-hop set, describe
one TCP hop and must not be forwarded. ``Host`` and ``Content-Length`` are rebuilt by the client
library for the next hop. The WebSocket handshake headers are rebuilt by the upstream handshake
(subprotocols travel separately, because the proxy must echo the one the upstream chose).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from multidict import CIMultiDict

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
     "te", "trailer", "transfer-encoding", "upgrade"}
)
REBUILT = frozenset({"host", "content-length"})
WS_HANDSHAKE = frozenset(
    {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
     "sec-websocket-protocol", "sec-websocket-accept"}
)

#: Headers that carry a credential: forwarded, never logged or shown.
CREDENTIAL_HEADERS = frozenset({"authorization", "api-key", "openai-api-key", "x-api-key",
                                "x-goog-api-key"})


def _connection_named(headers: Mapping[str, str]) -> set[str]:
    """Header names a ``Connection`` header lists as hop-by-hop for this hop."""
    named: set[str] = set()
    for key, value in _items(headers):
        if key.lower() == "connection":
            named.update(token.strip().lower() for token in value.split(",") if token.strip())
    return named


def _items(headers: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    items = getattr(headers, "items", None)
    return list(items()) if items is not None else []


def end_to_end(headers: Mapping[str, str], *, websocket: bool = False) -> CIMultiDict[str]:
    """The headers to pass to the next hop (repeated headers such as ``Set-Cookie`` kept)."""
    drop = HOP_BY_HOP | REBUILT | _connection_named(headers)
    if websocket:
        drop = drop | WS_HANDSHAKE
    out: CIMultiDict[str] = CIMultiDict()
    for key, value in _items(headers):
        if key.lower() not in drop:
            out.add(key, value)
    return out


def credentials_only(headers: Mapping[str, str]) -> dict[str, str]:
    """The credential headers of an app's request: what a sideband attach reuses, no more."""
    return {k: v for k, v in _items(headers) if k.lower() in CREDENTIAL_HEADERS}
