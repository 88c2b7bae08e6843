"""One MCP server, reached with the official ``mcp`` SDK (2.x): start, list, call, stop.

The SDK's transports are anyio context managers that must be entered and left by one task, so
each connection runs in its own task (:meth:`McpConnection._serve`) that enters the transport
and the :class:`mcp.ClientSession`, lists the tools, and then waits to be closed; calls from
other tasks go through the session object. A server that fails to start, dies or hangs ends up
``failed`` with the reason in words; calls then fail fast with that reason instead of hanging.

A stdio server's stderr goes to ``<user log dir>/mcp-<name>.log`` (never to the terminal: under
the TUI it would draw over the screen). The SDK is imported lazily (``voicechat --help`` stays
light).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, Literal

from voicechat.protocol.secrets import redact_text
from voicechat.runtime.tools.results import flatten_result
from voicechat.runtime.tools.sources import McpServerConfig

log = logging.getLogger(__name__)
START_TIMEOUT_S = 20.0
LIST_TIMEOUT_S = 10.0
State = Literal["new", "starting", "ready", "failed", "closed"]


class McpConnection:
    """A running MCP server and its current tool list."""

    def __init__(
        self,
        config: McpServerConfig,
        log_dir: Path,
        on_tools_changed: Callable[[McpConnection], None] | None = None,
    ) -> None:
        self.config = config
        self.log_dir = log_dir
        self.state: State = "new"
        self.error: str | None = None
        self.tools: list[Any] = []  # mcp.types.Tool
        self._on_tools_changed = on_tools_changed
        self._session: Any = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._errlog: IO[str] | None = None

    @property
    def _secrets(self) -> list[str]:
        """Header and environment values this server was given: never repeated in an error."""
        return [v for v in (*self.config.headers.values(), *self.config.env.values()) if len(v) > 3]

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"mcp-{self.config.name}.log"

    async def start(self, timeout: float | None = None) -> bool:
        """Start the server and list its tools; ``False`` (with :attr:`error`) when it failed."""
        timeout = START_TIMEOUT_S if timeout is None else timeout
        self.state = "starting"
        self._task = asyncio.get_running_loop().create_task(self._serve(), name=f"mcp-{self.name}")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            self._fail(f"did not finish starting within {timeout:g} s (see {self.log_path})")
            await self.close()
        return self.state == "ready"

    async def call(self, name: str, arguments: dict[str, Any], timeout: float) -> tuple[str, bool]:
        """Call tool ``name``; ``(text, ok)``. Never raises for the server's faults."""
        session = self._session
        if self.state != "ready" or session is None:
            return (
                f"error: the MCP server {self.name!r} is not running"
                f"{': ' + self.error if self.error else ''}"
            ), False
        try:
            # the core's deadline (the same timeout) comes first and cancels this task; these
            # bounds only keep a call from outliving it if the core is gone
            result = await asyncio.wait_for(
                session.call_tool(name, arguments, read_timeout_seconds=timeout + 5), timeout + 6
            )
        except TimeoutError:
            return f"error: the MCP server {self.name!r} did not answer within {timeout:g} s", False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the SDK's MCPError, a closed connection, a bad result
            reason = _reason(exc, self._secrets)
            if _connection_closed(exc) or (self._task is not None and self._task.done()):
                self._fail(f"stopped during a call: {reason} (see {self.log_path})")
                self._stop.set()  # let the serving task wind the transport down
            return f"error: the MCP server {self.name!r} failed: {reason}", False
        return flatten_result(result)

    async def close(self) -> None:
        self._stop.set()
        task = self._task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), 6.0)
            except (TimeoutError, asyncio.CancelledError, Exception):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.state != "failed":
            self.state = "closed"
        self._session = None
        if self._errlog is not None:
            with contextlib.suppress(OSError):
                self._errlog.close()
            self._errlog = None

    # --- the connection's own task -------------------------------------------------------------

    async def _serve(self) -> None:
        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport())
                from mcp import ClientSession

                session = await stack.enter_async_context(
                    ClientSession(read, write, message_handler=self._on_message)
                )
                await session.initialize()  # bounded by start()'s timeout
                self.tools = await self._list(session)
                self._session = session
                self.state = "ready"
                self._ready.set()
                await self._stop.wait()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._fail(
                f"{_reason(exc, self._secrets)} (see {self.log_path})"
                if self.config.command
                else _reason(exc, self._secrets)
            )
        finally:
            self._session = None
            if self.state == "ready" and self._stop.is_set():
                self.state = "closed"
            elif self.state == "ready":
                self._fail(f"the server stopped (see {self.log_path})")
            self._ready.set()

    def _transport(self) -> Any:
        """The SDK's stdio or streamable-HTTP client context for this server."""
        config = self.config
        if config.command is not None:
            from mcp import StdioServerParameters, stdio_client

            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._errlog = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115
            params = StdioServerParameters(
                command=config.command,
                args=list(config.args),
                env=dict(config.env) or None,
                cwd=config.cwd,
            )
            return stdio_client(params, errlog=self._errlog)
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        assert config.url is not None
        client = httpx2.AsyncClient(headers=dict(config.headers), timeout=30.0)

        @contextlib.asynccontextmanager
        async def http() -> Any:
            async with client, streamable_http_client(config.url, http_client=client) as streams:
                yield streams[0], streams[1]

        return http()

    async def _list(self, session: Any) -> list[Any]:
        tools: list[Any] = []
        cursor: str | None = None
        from mcp.types import PaginatedRequestParams

        for _ in range(100):  # a server that pages for ever is cut off
            params = PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await asyncio.wait_for(session.list_tools(params=params), LIST_TIMEOUT_S)
            tools.extend(page.tools)
            cursor = getattr(page, "next_cursor", None)
            if not cursor:
                break
        return tools

    async def _on_message(self, message: Any) -> None:
        if getattr(message, "method", None) != "notifications/tools/list_changed":
            return
        session = self._session
        if session is None:
            return
        try:
            self.tools = await self._list(session)
        except Exception as exc:  # keep the old list; say why
            log.warning(
                "MCP server %s: listing tools again failed: %s",
                self.name,
                _reason(exc, self._secrets),
            )
            return
        if self._on_tools_changed is not None:
            self._on_tools_changed(self)

    def _fail(self, reason: str) -> None:
        if self.state in ("failed", "closed"):
            return
        self.state = "failed"
        self.error = reason


def _connection_closed(exc: BaseException) -> bool:
    """The SDK's ``CONNECTION_CLOSED`` error: the server process or its connection is gone."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", getattr(exc, "code", None))
    return code == -32000 or "Connection closed" in str(exc)


def _reason(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """The innermost useful message of ``exc`` (anyio wraps errors in exception groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {exc.filename or exc}"
    text = str(exc).strip() or type(exc).__name__
    return redact_text(text, secrets)[
        :300
    ]  # a URL's token or a header echoed in an error stays hidden
