"""Where tools come from: the ``mcpServers`` JSON file, ``[voicechat.mcp_servers]`` and
``[voicechat.tools]`` read into plain values, with every mistake named.

A file that cannot be read or is not JSON is a :class:`~voicechat.config.ConfigError` (exit 2,
before anything starts): the user pointed at it on purpose. A bad entry inside it is a
*problem*: that server or tool is left out, the notice names the entry and the fix, and the
conversation goes on with the rest (issue #28, item 6). A tool table's unknown key is such a
problem too, with the closest known key (issue 55, item 15).

``mcpServers`` is the shape other MCP hosts read (Claude Desktop, Cursor, VS Code):
``{"mcpServers": {"NAME": {"command", "args", "env"} | {"url", "headers"}}}``; a ``type`` key
(``stdio``, ``http``, ``streamable-http``) is accepted, ``sse`` is refused (legacy transport).
The same fields work in ``[voicechat.mcp_servers.NAME]``, plus ``tool_approval``, ``timeout`` and
``approvals = {TOOL = "auto"}`` (per tool).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicechat.config import ConfigError, Settings
from voicechat.core import APPROVALS, DEFAULT_TOOL_TIMEOUT_S, Approval


@dataclass(frozen=True)
class McpServerConfig:
    """One MCP server to start (stdio: ``command``) or reach (streamable HTTP: ``url``)."""

    name: str
    origin: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    approval: Approval | None = None
    approvals: Mapping[str, Approval] = field(default_factory=dict)
    timeout: float = DEFAULT_TOOL_TIMEOUT_S
    cwd: str | None = None


@dataclass(frozen=True)
class CommandToolConfig:
    """``[voicechat.tools.NAME]``: run ``command`` with the arguments as JSON on stdin."""

    name: str
    origin: str
    command: tuple[str, ...]
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_TOOL_TIMEOUT_S
    approval: Approval | None = None
    #: a canned output sent for every call instead of running a program (``result = …``:
    #: a tool loop tried, demoed or tested without writing one; ``voicechat test``'s mocks)
    result: str | None = None
    #: the folder the program runs in (``cwd = …``; ``voicechat test``: the scenario's, so
    #: ``command: [./tool.sh]`` means the file beside it); ``None``: where voicechat started
    cwd: str | None = None


@dataclass
class ToolConfig:
    """Every configured tool source, the default approval, and what was wrong."""

    approval: Approval = "ask"
    servers: list[McpServerConfig] = field(default_factory=list)
    commands: list[CommandToolConfig] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.servers and not self.commands


def tool_config(settings: Settings) -> ToolConfig:
    """Read the tool sources ``settings`` names (the ``--mcp-config`` file is read here)."""
    config = ToolConfig(approval=_approval(settings.tool_approval) or "ask")
    where = settings.config_path or "the config file"
    for name, table in settings.mcp_servers.items():
        _add_server(config, str(name), table, f"{where}, [voicechat.mcp_servers.{name}]")
    if settings.mcp_config is not None:
        for name, entry in read_mcp_json(settings.mcp_config).items():
            if any(s.name == name for s in config.servers):
                config.problems.append(
                    f"MCP server {name!r} is in both {settings.mcp_config} and the config file; "
                    "the config file's entry is used (rename one to keep both)"
                )
                continue
            _add_server(config, str(name), entry, f"{settings.mcp_config}, mcpServers.{name}")
    for name, table in settings.tools.items():
        _add_command(config, str(name), table, f"{where}, [voicechat.tools.{name}]")
    return config


def read_mcp_json(path: Path) -> Mapping[str, Any]:
    """The ``mcpServers`` object of an MCP host's JSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--mcp-config: {path} does not exist (fix the path)") from None
    except OSError as exc:
        raise ConfigError(f"--mcp-config: {path} cannot be read: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            f"--mcp-config: {path} is not JSON ({exc}); it should look like "
            '{"mcpServers": {"NAME": {"command": "...", "args": [...]}}}'
        ) from None
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(
            f'--mcp-config: {path} has no "mcpServers" object; it should look '
            'like {"mcpServers": {"NAME": {"command": "...", "args": [...]}}}'
        )
    return servers


def _add_server(config: ToolConfig, name: str, entry: Any, origin: str) -> None:
    problem = _server_problem(entry)
    if problem is not None:
        config.problems.append(f"{origin}: {problem}; this server is left out")
        return
    assert isinstance(entry, Mapping)
    approvals = entry.get("approvals") or {}
    bad = [k for k, v in approvals.items() if _approval(v) is None]
    if bad:
        config.problems.append(
            f"{origin}: approvals for {', '.join(bad)} must be ask, auto or "
            "deny; those tools use the server's policy"
        )
    config.servers.append(
        McpServerConfig(
            name=name,
            origin=origin,
            command=entry.get("command"),
            args=tuple(str(a) for a in entry.get("args") or ()),
            env={str(k): str(v) for k, v in (entry.get("env") or {}).items()},
            url=entry.get("url"),
            headers={str(k): str(v) for k, v in (entry.get("headers") or {}).items()},
            approval=_approval(entry.get("tool_approval")),
            approvals={str(k): v for k, v in approvals.items() if _approval(v) is not None},
            timeout=_timeout(entry.get("timeout")),
            cwd=entry.get("cwd") if isinstance(entry.get("cwd"), str) else None,
        )
    )


def _server_problem(entry: Any) -> str | None:
    if not isinstance(entry, Mapping):
        return "must be an object with command (stdio) or url (streamable HTTP)"
    kind = entry.get("type")
    if kind == "sse":
        return (
            "type sse (the legacy HTTP+SSE transport) is not supported; use the server's "
            "streamable HTTP URL (usually ending in /mcp)"
        )
    command, url = entry.get("command"), entry.get("url")
    if command is None and url is None:
        return "has neither command (stdio) nor url (streamable HTTP)"
    if command is not None and (not isinstance(command, str) or not command.strip()):
        return "command must be a non-empty string (the program; its arguments go in args)"
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        return "url must be an http(s) URL"
    args = entry.get("args")
    if args is not None and not (
        isinstance(args, list) and all(isinstance(a, str | int | float) for a in args)
    ):
        return "args must be a list of strings"
    for key in ("env", "headers", "approvals"):
        if entry.get(key) is not None and not isinstance(entry.get(key), Mapping):
            return f"{key} must be an object of names to strings"
    if entry.get("tool_approval") is not None and _approval(entry.get("tool_approval")) is None:
        return "tool_approval must be ask, auto or deny"
    if entry.get("timeout") is not None and _timeout(entry.get("timeout")) == -1:
        return "timeout must be a number of seconds above 0 and at most 3600"
    return None


#: The keys of a ``[voicechat.tools.NAME]`` table.
COMMAND_TOOL_KEYS = ("command", "result", "description", "parameters", "timeout",
                     "tool_approval", "cwd")


def _add_command(config: ToolConfig, name: str, table: Any, origin: str) -> None:
    if not isinstance(table, Mapping):
        config.problems.append(f'{origin}: must be a table with command = ["program", ...]')
        return
    if unknown := _unknown_key(table, origin):
        config.problems.append(unknown)
        return
    result = _canned_result(table)
    if ("command" in table) == (result is not None):
        config.problems.append(
            f"{origin}: give exactly one of command (a program to run, e.g. "
            'command = ["date", "-u"]) or result (the output sent for every call); left out'
        )
        return
    command = table.get("command") if result is None else []
    if isinstance(command, str):
        command = [command]
    if result is None and not (isinstance(command, list) and command
                               and all(isinstance(c, str) for c in command)):
        config.problems.append(
            f"{origin}: command must be a list of strings (the program and "
            'its arguments), e.g. command = ["date", "-u"]; left out'
        )
        return
    parameters = table.get("parameters", {"type": "object", "properties": {}})
    if isinstance(parameters, str):
        try:
            parameters = json.loads(parameters)
        except ValueError:
            parameters = None
    if not isinstance(parameters, Mapping):
        config.problems.append(
            f"{origin}: parameters must be a JSON Schema object (a table, or "
            "a JSON string); left out"
        )
        return
    approval = table.get("tool_approval")
    timeout = _timeout(table.get("timeout"))
    if (approval is not None and _approval(approval) is None) or timeout == -1:
        config.problems.append(
            f"{origin}: tool_approval must be ask, auto or deny and timeout "
            "a number of seconds in (0, 3600]; left out"
        )
        return
    description = table.get("description")
    config.commands.append(
        CommandToolConfig(
            name=name,
            origin=origin,
            command=tuple(command),
            description=description if isinstance(description, str) else "",
            parameters=parameters,
            timeout=timeout,
            approval=_approval(approval),
            result=result,
            cwd=str(table["cwd"]) if isinstance(table.get("cwd"), str) else None,
        )
    )


def _canned_result(table: Mapping[str, Any]) -> str | None:
    """A tool table's ``result``: text as given, any other value as its JSON (what a program
    would have printed)."""
    if "result" not in table:
        return None
    value = table["result"]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _unknown_key(table: Mapping[str, Any], origin: str) -> str | None:
    """A key the table does not have, said with the closest one (``comand``: did you mean
    'command'?), or, for a setting of the file itself, where TOML put it: every line after a
    ``[table]`` header belongs to that table, so a ``local_responder`` written below
    ``[voicechat.tools.NAME]`` was read as the tool's, and ignored (issue 55, item 15)."""
    from voicechat.config_schema import SCHEMA, closest

    for key in table:
        if key in COMMAND_TOOL_KEYS:
            continue
        if key in SCHEMA:
            return (f"{origin}: unknown key {key!r}: {key} is a setting of the file, which TOML "
                    "read into this table because it comes after the table's header; move it "
                    "above the first [table] header (or under [voicechat]); this tool is left "
                    "out")
        return (f"{origin}: unknown key {key!r}{closest(key, list(COMMAND_TOOL_KEYS))}; a tool "
                f"table has {', '.join(COMMAND_TOOL_KEYS)}; this tool is left out")
    return None


def _approval(value: Any) -> Approval | None:
    for approval in APPROVALS:
        if value == approval:
            return approval
    return None


def _timeout(value: Any) -> float:
    """Seconds, the default when absent, -1 when bad."""
    if value is None:
        return DEFAULT_TOOL_TIMEOUT_S
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        return -1
    return float(value)
