"""Every configured tool source behind one name space: what the model sees, and running a call.

:class:`ToolBox` starts the MCP servers (concurrently, each bounded in time), lists their tools
and the command tools, makes each name valid and unique (:mod:`.naming`; a clash is renamed and
said so), reduces each schema, and keeps the reverse map from the model's name to the source and
the tool's own name. ``voicechat tools`` reads :meth:`ToolBox.catalog` without a conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicechat.core import Approval, ToolSpec
from voicechat.runtime.tools.commands import run_command
from voicechat.runtime.tools.mcp_client import McpConnection
from voicechat.runtime.tools.naming import reduce_schema, unique_names
from voicechat.runtime.tools.sources import ToolConfig


@dataclass(frozen=True)
class ToolEntry:
    """One tool as the model sees it, where it comes from, and what was changed to offer it."""

    name: str  # as the model sees it
    source: str  # "mcp:<server>", "command" or "result" (a canned output)
    original: str  # the tool's own name at its source
    approval: Approval
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    timeout: float = 30.0

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(
            self.name, self.description, self.parameters, self.approval, self.timeout, self.source
        )


@dataclass(frozen=True)
class ServerStatus:
    name: str
    state: str  # ready | failed | closed | …
    error: str | None
    tools: int
    log: Path | None


class ToolBox:
    """The tool sources of one run."""

    def __init__(
        self, config: ToolConfig, log_dir: Path, on_change: Callable[[], None] | None = None
    ) -> None:
        self.config = config
        self._on_change = on_change
        self._servers = [McpConnection(s, log_dir, self._server_changed) for s in config.servers]
        self._entries: dict[str, ToolEntry] = {}
        self._commands = {c.name: c for c in config.commands}
        self._reported: set[str] = set()

    # --- lifetime ------------------------------------------------------------------------------

    async def start(self) -> list[str]:
        """Start every server; the problems to tell the user (config, failures, renames)."""
        await asyncio.gather(*(server.start() for server in self._servers))
        self._rebuild()
        self._reported = {s.name for s in self._servers if s.state == "failed"}
        return self.problems

    def new_failures(self) -> list[str]:
        """Servers that stopped since the last look (crashed mid-call), said once each."""
        out = []
        for server in self._servers:
            if server.state == "failed" and server.name not in self._reported:
                self._reported.add(server.name)
                out.append(
                    f"MCP server {server.name!r} stopped: {server.error}. Its tools now "
                    "answer with an error; fix the server and restart voicechat"
                )
        return out

    async def close(self) -> None:
        await asyncio.gather(*(server.close() for server in self._servers), return_exceptions=True)

    # --- reading -------------------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        out = list(self.config.problems)
        for command in self._commands.values():
            program = command.command[0] if command.command else ""
            if command.cwd is not None and os.sep in program:  # relative to where it runs
                program = os.path.join(command.cwd, program)
            if command.result is None and shutil.which(program) is None:
                out.append(
                    f"command tool {command.name}: the program {command.command[0]!r} "
                    f"was not found (fix command in {command.origin}); its calls will "
                    "fail"
                )
        for server in self._servers:
            if server.state == "failed":
                out.append(
                    f"MCP server {server.name!r} ({server.config.origin}) is not "
                    f"available: {server.error}. Fix its entry, or remove it"
                )
        for entry in self._entries.values():
            out.extend(f"tool {entry.name} ({entry.source}): {note}" for note in entry.notes)
        return out

    @property
    def servers(self) -> list[ServerStatus]:
        return [
            ServerStatus(
                s.name, s.state, s.error, len(s.tools), s.log_path if s.config.command else None
            )
            for s in self._servers
        ]

    def catalog(self) -> list[ToolEntry]:
        return list(self._entries.values())

    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(entry.spec for entry in self._entries.values())

    # --- running -------------------------------------------------------------------------------

    async def run(self, name: str, arguments: dict[str, Any], timeout: float) -> tuple[str, bool]:
        """Run the tool the model calls ``name``; ``(output, ok)``, never raising for its faults."""
        entry = self._entries.get(name)
        if entry is None:
            return f"error: there is no tool named {name!r}", False
        if entry.source == "result":  # canned: nothing runs
            return self._commands[entry.original].result or "", True
        if entry.source == "command":
            return await run_command(self._commands[entry.original], arguments, timeout)
        server = next(s for s in self._servers if f"mcp:{s.name}" == entry.source)
        return await server.call(entry.original, arguments, timeout)

    # --- building the name space ---------------------------------------------------------------

    def _server_changed(self, server: McpConnection) -> None:
        self._rebuild()
        if self._on_change is not None:
            self._on_change()

    def _rebuild(self) -> None:
        default = self.config.approval
        raw: list[tuple[str, str, str, str, Any, Approval, float]] = []
        for server in self._servers:
            if server.state != "ready":
                continue
            cfg = server.config
            for tool in server.tools:
                approval = cfg.approvals.get(tool.name) or cfg.approval or default
                raw.append(
                    (
                        f"mcp:{cfg.name}",
                        cfg.name,
                        str(tool.name),
                        str(getattr(tool, "description", None) or ""),
                        getattr(tool, "input_schema", None),
                        approval,
                        cfg.timeout,
                    )
                )
        for command in self._commands.values():
            raw.append(
                (
                    "command" if command.result is None else "result",
                    "cmd",
                    command.name,
                    command.description,
                    dict(command.parameters),
                    command.approval or default,
                    command.timeout,
                )
            )
        names = unique_names((prefix, original) for _, prefix, original, *_ in raw)
        seen: dict[str, str] = {}
        entries: dict[str, ToolEntry] = {}
        for name, (source, _, original, description, schema, approval, timeout) in zip(
            names, raw, strict=True
        ):
            parameters, notes = reduce_schema(schema)
            if name != original:
                clash = seen.get(original)
                why = (
                    f"the name {original!r} is also used by {clash}"
                    if clash
                    else f"{original!r} is not a valid function name"
                )
                notes.insert(0, f"renamed from {original!r}: {why}")
            seen.setdefault(original, source)
            entries[name] = ToolEntry(
                name,
                source,
                original,
                approval,
                description[:1024],
                parameters,
                tuple(notes),
                timeout,
            )
        self._entries = entries


async def catalog_for(
    config: ToolConfig, log_dir: Path
) -> tuple[list[ToolEntry], list[ServerStatus], list[str]]:
    """Start the sources, read what they offer, stop them (``voicechat tools``)."""
    box = ToolBox(config, log_dir)
    try:
        problems = await box.start()
        return box.catalog(), box.servers, problems
    finally:
        with contextlib.suppress(Exception):
            await box.close()
