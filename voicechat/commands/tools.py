"""``voicechat tools``: what the configuration gives the model, without starting a conversation.

Before talking to a model that may act, people want to see what it could do: every tool under
the name the model sees (MCP tools are renamed when their name is not a valid function name or
clashes with another), where it comes from, whether a call asks first, and what was changed to
offer it (a schema reduced to what the API accepts). MCP servers are started the way a
conversation starts them, asked for their tools, and stopped, so a server that fails here fails
there too: the listing says which and why, and where its stderr went. Hosted MCP servers (the
Realtime server calls them) are listed from ``[voicechat.session] tools`` as configured; nothing
contacts them from here.

Exit status: 0 when every configured source is available, 1 when one is not (a server that did
not start, an entry left out, a command that is not installed), 2 for a config that cannot be
read.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicechat.config import ConfigError, Settings, resolve
from voicechat.protocol.secrets import redact_text
from voicechat.protocol.text import printable

NO_TOOLS = ("no tools configured. Give MCP servers with --mcp-config FILE (the mcpServers JSON "
            "other MCP hosts use) or [voicechat.mcp_servers.NAME], command tools with "
            "[voicechat.tools.NAME], hosted MCP with [voicechat.session] tools "
            "(docs/howto/tools.md)")


@dataclass(frozen=True)
class HostedServer:
    """A hosted MCP tool of ``[voicechat.session] tools``: the Realtime server calls it."""

    label: str
    where: str  # server_url, or connector_id
    allowed: tuple[str, ...]  # allowed_tools; () = every tool the server lists
    require_approval: str  # as configured ("always" when unset: the API's default)


@dataclass
class Listing:
    """Everything ``voicechat tools`` reports (the ``--json`` shape, field for field)."""

    servers: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    hosted: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # the problems that make exit 1
    approval: str = "ask"


def run(*, config: Path | None = None, mcp_config: Path | None = None,
        tool_approval: str | None = None, json_output: bool = False) -> int:
    try:
        settings = resolve({"mcp_config": mcp_config, "tool_approval": tool_approval},
                           config_path=config)
        listing = asyncio.run(gather(settings))
    except ConfigError as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        return 2
    if json_output:
        print(json.dumps(_as_json(listing), indent=2, ensure_ascii=False))
    else:
        for line in render(listing):
            print(line)
    return 1 if listing.unavailable else 0


async def gather(settings: Settings) -> Listing:
    """Start the configured sources, read what they offer, stop them."""
    from voicechat.paths import user_log_dir
    from voicechat.runtime.tools.sources import tool_config
    from voicechat.runtime.tools.toolbox import catalog_for

    config = tool_config(settings)  # ConfigError for an unreadable --mcp-config
    listing = Listing(approval=config.approval)
    listing.hosted = [vars(h) | {"allowed": list(h.allowed)} for h in hosted_servers(settings)]
    if config.empty and not config.problems:
        return listing
    log_dir = user_log_dir()
    # the logs are appended to across runs: only what this run wrote explains this failure
    sizes = {s.name: _size(log_dir / f"mcp-{s.name}.log") for s in config.servers}
    entries, servers, problems = await catalog_for(config, log_dir)
    listing.servers = [{"name": s.name, "state": s.state, "error": s.error, "tools": s.tools,
                        "log": str(s.log) if s.log else None,
                        "stderr": last_line(s.log, since=sizes.get(s.name, 0))
                        if s.state == "failed" else ""}
                       for s in servers]
    listing.tools = [{"name": e.name, "source": e.source, "original": e.original,
                      "approval": e.approval, "timeout": e.timeout,
                      "description": e.description, "notes": list(e.notes),
                      "parameters": e.parameters} for e in entries]
    notes = {f"tool {e.name} ({e.source}): {n}" for e in entries for n in e.notes}
    listing.problems = [_safe(p) for p in problems]
    listing.unavailable = [_safe(p) for p in problems if p not in notes]
    return listing


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def last_line(log: Path | None, limit: int = 200, *, since: int = 0) -> str:
    """The last line a failed server wrote to stderr (its log file) after byte ``since``, cut
    to ``limit``: often the reason itself ("ModuleNotFoundError: …"), which "Connection
    closed" is not."""
    if log is None:
        return ""
    try:
        with log.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(since, f.tell() - 4096))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return _safe(lines[-1][:limit]) if lines else ""


def hosted_servers(settings: Settings) -> list[HostedServer]:
    """The ``{"type": "mcp", …}`` entries of ``[voicechat.session] tools``."""
    tools = settings.session_overrides.get("tools")
    out = []
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, Mapping) or tool.get("type") != "mcp":
            continue
        allowed = tool.get("allowed_tools")
        if isinstance(allowed, Mapping):
            allowed = allowed.get("tool_names")
        approval = tool.get("require_approval")
        out.append(HostedServer(
            label=str(tool.get("server_label", "?")),
            where=_safe(str(tool.get("server_url") or tool.get("connector_id") or "?")),
            allowed=tuple(str(a) for a in allowed) if isinstance(allowed, list) else (),
            require_approval=approval if isinstance(approval, str) else
            ("always" if approval is None else "per tool")))
    return out


def render(listing: Listing) -> list[str]:
    """The listing as aligned plain text (servers, tools, hosted MCP, problems)."""
    lines: list[str] = []
    if not (listing.servers or listing.tools or listing.hosted or listing.problems):
        return [f"voicechat: {NO_TOOLS}"]
    if listing.servers:
        lines.append("MCP servers")
        rows = []
        for s in listing.servers:
            state = "ready" if s["state"] == "ready" else s["state"].upper()
            if s["state"] == "ready":
                detail = f"{s['tools']} tools" + (f"  (stderr: {s['log']})" if s["log"] else "")
            else:
                detail = _safe(s["error"] or "")
                if s.get("stderr"):
                    detail += f"; its stderr ends: {s['stderr']}"
            rows.append((s["name"], state, detail))
        lines += _table(rows)
        lines.append("")
    if listing.tools:
        lines.append(f"Tools, as the model sees them (default approval: {listing.approval})")
        rows = [("NAME", "SOURCE", "APPROVAL", "NOTES")]
        for t in listing.tools:
            rows.append((t["name"], _source(t["source"]), t["approval"],
                         "; ".join(_safe(n) for n in t["notes"])))
        lines += _table(rows)
        lines.append("")
    if listing.hosted:
        lines.append("Hosted MCP servers (the Realtime server calls them; asked here when "
                     f"the server asks: {listing.approval})")
        rows = [("LABEL", "SERVER", "TOOLS", "REQUIRE_APPROVAL")]
        for h in listing.hosted:
            rows.append((h["label"], h["where"], ", ".join(h["allowed"]) or "all it lists",
                         h["require_approval"]))
        lines += _table(rows)
        lines.append("")
    if listing.unavailable:
        lines.append("Not available")
        lines += [f"  - {p}" for p in listing.unavailable]
    elif lines and not lines[-1]:
        lines.pop()
    return lines


def _source(source: str) -> str:
    return f"MCP server {source[4:]}" if source.startswith("mcp:") else source


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    rows = [tuple(_safe(str(cell)) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  " + "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)),
                              row[-1]]).rstrip() for row in rows]


def _safe(text: str) -> str:
    """A server's error or a tool's name is foreign text: no control characters, no keys."""
    return printable(redact_text(text))


def _as_json(listing: Listing) -> dict[str, Any]:
    return {"approval": listing.approval, "servers": listing.servers, "tools": listing.tools,
            "hosted": listing.hosted, "problems": listing.problems,
            "unavailable": listing.unavailable}
