"""The MCP client: list a server's tools, call one, every failure as an MCP error object.

It uses the official ``mcp`` SDK (2.x) over streamable HTTP, imported on first use so a
session without MCP tools never loads it. Each operation opens its own connection
(``initialize`` then ``tools/list`` or ``tools/call``) and closes it. Decision: no connection is
kept between operations — a server that crashed or restarted between the listing and a call is
then just a failed call, and a session holds no background task per server. The cost is one
extra round trip per call, small beside a voice turn.

Failures never raise past :func:`list_tools` / :func:`call_tool` other than as
:class:`McpFailure`, whose :meth:`McpFailure.item_error` is the ``error`` object of an
``mcp_call`` item (the GA spec's three kinds):

* ``http_error`` — the server answered with an HTTP error status (401, 404, 500, …);
* ``protocol_error`` — no usable answer: refused connection, a reset or crash mid-call
  (``CONNECTION_CLOSED`` -32000), the time limit (``REQUEST_TIMEOUT`` -32001), a JSON-RPC error
  from the server, an answer over the size cap;
* ``tool_execution_error`` — the tool ran and reported an error (``isError: true``).

Every message names the server by label and safe URL (:attr:`McpServerConfig.where`) and is
redacted of the tool's credentials, since a server may echo a header back in its error text.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from voicechat.protocol.secrets import redact_text
from voicechat.server.hosted_mcp.config import McpServerConfig
from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.hosted_mcp.outputs import result_text

if TYPE_CHECKING:
    from mcp.client.session import ClientSession

T = TypeVar("T")
ErrorKind = Literal["protocol_error", "tool_execution_error", "http_error"]

#: JSON-RPC codes the SDK uses (``mcp_types.jsonrpc``), repeated so this module loads lightly.
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001
INTERNAL_ERROR = -32603

CLIENT_NAME = "voicechat-local-server"


@dataclass(frozen=True)
class ListedTool:
    """One tool as the server listed it (the ``mcp_list_tools`` item's entry)."""

    name: str
    input_schema: dict[str, Any]
    description: str | None = None
    annotations: dict[str, Any] | None = None

    @property
    def read_only(self) -> bool:
        """The server's ``readOnlyHint`` (MCP's default: false), for the filters."""
        return bool((self.annotations or {}).get("readOnlyHint", False))


class McpFailure(Exception):
    """An MCP operation that did not give a result; its message is safe to show."""

    def __init__(self, kind: ErrorKind, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.code = code

    def item_error(self) -> dict[str, Any]:
        """The ``error`` object of an ``mcp_call`` item (``tool_execution_error`` has no
        ``code``; the other two require one)."""
        out: dict[str, Any] = {"type": self.kind}
        if self.kind != "tool_execution_error":
            out["code"] = self.code if self.code is not None else INTERNAL_ERROR
        out["message"] = self.message
        return out


@dataclass(frozen=True)
class CallResult:
    """A finished call: ``output`` (bounded) or ``error``, never both."""

    output: str | None = None
    error: McpFailure | None = field(default=None)


async def list_tools(config: McpServerConfig, limits: McpLimits) -> list[ListedTool]:
    """Every tool the server lists (all pages), or :class:`McpFailure`."""

    async def work(session: ClientSession) -> list[ListedTool]:
        from mcp_types import PaginatedRequestParams

        tools: list[ListedTool] = []
        cursor: str | None = None
        for _page in range(100):  # a server that pages forever is cut off
            params = PaginatedRequestParams(cursor=cursor) if cursor else None
            result = await session.list_tools(params=params)
            tools.extend(_listed(tool) for tool in result.tools)
            cursor = result.next_cursor
            if not cursor:
                break
        return tools

    return await _operate(config, limits, limits.list_timeout_s, "list its tools", work)


async def call_tool(
    config: McpServerConfig, name: str, arguments: Mapping[str, Any], limits: McpLimits
) -> CallResult:
    """Run tool ``name``; a failure of any kind is in :attr:`CallResult.error`."""

    async def work(session: ClientSession) -> CallResult:
        result = await session.call_tool(name, dict(arguments))
        text = result_text(result, limits.output_max_chars)
        if result.is_error:
            failure = McpFailure("tool_execution_error", _redact(text or "the tool failed", config))
            return CallResult(error=failure)
        return CallResult(output=text)

    try:
        return await _operate(config, limits, limits.call_timeout_s, f"call '{name}'", work)
    except McpFailure as failure:
        return CallResult(error=failure)


async def _operate(
    config: McpServerConfig,
    limits: McpLimits,
    timeout_s: float,
    what: str,
    work: Callable[[ClientSession], Awaitable[T]],
) -> T:
    """Connect, initialise, ``work``; any failure becomes :class:`McpFailure`."""
    if not config.server_url:
        kind = "connector" if config.connector_id else "tunnel"
        raise McpFailure(
            "protocol_error",
            f"MCP server {config.where} is a {kind} ({config.connector_id or config.tunnel_id}), "
            "which only the real service can reach. Give the local server a server_url.",
            CONNECTION_CLOSED,
        )
    await _load_sdk()
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp_types import Implementation

    from voicechat.server.hosted_mcp.transport import CappedTransport

    statuses: list[int] = []

    async def note_status(response: httpx2.Response) -> None:
        if response.status_code >= 400:
            statuses.append(response.status_code)

    try:
        async with asyncio.timeout(timeout_s):
            async with (
                httpx2.AsyncClient(
                    headers=config.request_headers(),
                    timeout=httpx2.Timeout(timeout_s),
                    event_hooks={"response": [note_status]},
                    transport=CappedTransport(limits.answer_max_bytes),
                ) as http,
                streamable_http_client(
                    config.server_url,
                    http_client=http,
                    max_sse_event_size=limits.answer_max_bytes,
                ) as (read, write),
                ClientSession(
                    read,
                    write,
                    read_timeout_seconds=timeout_s,
                    client_info=Implementation(name=CLIENT_NAME, version="1"),
                ) as session,
            ):
                await session.initialize()
                return await work(session)
    except McpFailure:
        raise
    except TimeoutError:
        raise McpFailure(
            "protocol_error",
            f"MCP server {config.where} did not {what} within {timeout_s:g} s.",
            REQUEST_TIMEOUT,
        ) from None
    except Exception as exc:
        raise _failure(exc, statuses, config, what) from None


#: The SDK modules :func:`_operate` uses, loaded off the event loop by :func:`_load_sdk`.
_SDK_MODULES = (
    "httpx2",
    "mcp.client.session",
    "mcp.client.streamable_http",
    "mcp.shared.exceptions",
    "mcp_types",
    "voicechat.server.hosted_mcp.transport",
)


async def _load_sdk() -> None:
    """Import the ``mcp`` SDK in a worker thread the first time a session needs it.

    Why: its import runs ~0.7 s of module code on a quiet machine. On the event loop it stalls
    every session the server holds, audio included; on a loaded machine a WebRTC client then
    heard nothing for 3.7 s, declared the link dead and reconnected in the middle of its
    MCP turn. In a thread the loop keeps running (the interpreter switches threads every few
    milliseconds), and Python's import lock makes two sessions loading at once safe.
    """
    if all(name in sys.modules for name in _SDK_MODULES):
        return
    await asyncio.to_thread(_import_all)


def _import_all() -> None:
    for name in _SDK_MODULES:
        importlib.import_module(name)


def _failure(
    exc: BaseException, statuses: list[int], config: McpServerConfig, what: str
) -> McpFailure:
    """The :class:`McpFailure` for what went wrong (an HTTP status seen wins)."""
    from mcp.shared.exceptions import MCPError

    leaf = _first_leaf(exc)
    if statuses:
        status = statuses[-1]
        hint = _STATUS_HINTS.get(status, "")
        return McpFailure(
            "http_error",
            f"MCP server {config.where} answered HTTP {status} when asked to {what}.{hint}",
            status,
        )
    if isinstance(leaf, MCPError):
        code = leaf.code
        detail = _redact(leaf.message, config)
        if code == CONNECTION_CLOSED:
            detail = f"{detail} (the server closed the connection before answering: did it crash?)"
        return McpFailure(
            "protocol_error", f"MCP server {config.where} could not {what}: {detail}", code
        )
    if isinstance(leaf, TimeoutError):
        return McpFailure(
            "protocol_error",
            f"MCP server {config.where} did not {what} in time.",
            REQUEST_TIMEOUT,
        )
    detail = _redact(str(leaf), config) or type(leaf).__name__
    if type(leaf).__name__ == "ConnectError":
        detail = f"cannot connect ({detail}); check that it runs and that server_url is right"
    return McpFailure(
        "protocol_error", f"MCP server {config.where} could not {what}: {detail}", CONNECTION_CLOSED
    )


_STATUS_HINTS = {
    401: " Check the tool's authorization or headers.",
    403: " Check the tool's authorization or headers.",
    404: " Check server_url (streamable HTTP servers usually serve /mcp).",
}


def _first_leaf(exc: BaseException) -> BaseException:
    """The first non-group exception inside (anyio task groups nest them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _listed(tool: Any) -> ListedTool:
    annotations = (
        tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else None
    )
    schema = tool.input_schema if isinstance(tool.input_schema, dict) else {"type": "object"}
    return ListedTool(
        name=str(tool.name),
        input_schema=json.loads(json.dumps(schema)),
        description=tool.description,
        annotations=annotations or None,
    )


def _redact(text: str, config: McpServerConfig) -> str:
    """A foreign server's text with the tool's credentials (and any key-shaped string) masked.

    Only the server's own words go through it: the generic patterns of
    :func:`redact_text` would also mask the port of the URL in our prefix."""
    return redact_text(text, config.secrets)
