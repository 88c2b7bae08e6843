"""An HTTP transport that reads at most so many bytes of any one answer.

The SDK bounds one SSE event (``max_sse_event_size``) but reads a JSON answer whole, so an MCP
server answering ``application/json`` could make the local server buffer any amount. Every
response body the MCP client reads goes through :class:`CappedStream`, which stops with
:class:`AnswerTooLarge` past the cap (``McpLimits.answer_max_bytes``); the call then fails
with a ``protocol_error`` that says so. ``httpx2`` is imported here, so this module is loaded
only by :mod:`.client`'s operations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2


class AnswerTooLarge(Exception):
    """An answer passed the byte cap; the message is shown to the client."""


class CappedStream(httpx2.AsyncByteStream):
    """A response body that raises :class:`AnswerTooLarge` once more than ``limit`` bytes
    came."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise AnswerTooLarge(
                    f"its answer passed {self._limit} bytes, the local server's cap "
                    "(McpLimits.answer_max_bytes)"
                )
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class CappedTransport(httpx2.AsyncHTTPTransport):
    """The default transport with every response body capped at ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=CappedStream(response.stream, self._limit),
            extensions=response.extensions,
        )
