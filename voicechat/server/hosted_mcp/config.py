"""The session's ``{"type": "mcp", ...}`` tools as typed settings, and what the server refuses.

The GA validator (:mod:`voicechat.protocol.validation`) has already checked the shapes against
the SDK's ``Mcp`` tool param, so this module reads values it may trust to be of the right type,
and adds the rules a shape cannot say:

* one of ``server_url`` / ``connector_id`` / ``tunnel_id`` is required (the API reference);
* ``server_url`` is an ``http(s)`` URL (the client speaks streamable HTTP);
* two MCP tools may not share a ``server_label`` — items and calls name their server by label.
  Decision: the real service's answer to a duplicate label was never observed; the local
  server refuses the update whole rather than guess which server a call means.

Connectors and tunnels pass (the real service accepts them) but cannot be reached from here:
their listing fails with an ``error`` that says so (:mod:`.listing`).

Pure, no I/O; ``tests/server/hosted_mcp/test_config.py`` has the property tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from voicechat.protocol.errors import ProtocolError, missing_required_parameter


@dataclass(frozen=True)
class ToolFilter:
    """``{tool_names, read_only}``: a tool matches when every criterion given holds.

    Decision: a filter with no criterion matches nothing (an empty ``never: {}`` must not
    silently waive approval for every tool).
    """

    tool_names: frozenset[str] | None = None
    read_only: bool | None = None

    @classmethod
    def parse(cls, raw: Any) -> ToolFilter:
        if isinstance(raw, Mapping):
            names = raw.get("tool_names")
            read_only = raw.get("read_only")
            return cls(
                frozenset(str(n) for n in names) if isinstance(names, Sequence) else None,
                read_only if isinstance(read_only, bool) else None,
            )
        if isinstance(raw, Sequence) and not isinstance(raw, str):
            return cls(frozenset(str(n) for n in raw), None)
        return cls()

    @property
    def empty(self) -> bool:
        return self.tool_names is None and self.read_only is None

    def matches(self, name: str, read_only: bool) -> bool:
        if self.empty:
            return False
        if self.tool_names is not None and name not in self.tool_names:
            return False
        return self.read_only is None or self.read_only == read_only


@dataclass(frozen=True)
class ApprovalPolicy:
    """``require_approval``: ``"always"`` (the default), ``"never"``, or per-tool filters.

    With the object form a tool matching ``never`` runs without asking, one matching
    ``always`` asks, and one matching neither asks (the default is ``always``). Decision: a
    tool matching both asks — the safe reading of a contradictory policy.
    """

    default_required: bool = True
    always: ToolFilter = field(default_factory=ToolFilter)
    never: ToolFilter = field(default_factory=ToolFilter)

    @classmethod
    def parse(cls, raw: Any) -> ApprovalPolicy:
        if raw == "never":
            return cls(default_required=False)
        if isinstance(raw, Mapping):
            return cls(
                True, ToolFilter.parse(raw.get("always")), ToolFilter.parse(raw.get("never"))
            )
        return cls()  # "always", null or absent

    def required(self, name: str, read_only: bool) -> bool:
        """Must the client approve a call of tool ``name`` (``readOnlyHint`` ``read_only``)?"""
        if self.always.matches(name, read_only):
            return True
        if self.never.matches(name, read_only):
            return False
        return self.default_required


@dataclass(frozen=True)
class McpServerConfig:
    """One MCP tool of the session. ``headers`` and ``authorization`` are secrets: they go to
    the MCP server and nowhere else (no ``repr``, no log line, no event)."""

    server_label: str
    index: int  # position in session.tools, for error params
    server_url: str | None = None
    connector_id: str | None = None
    tunnel_id: str | None = None
    server_description: str | None = None
    allowed_tools: ToolFilter | None = None  # None: every tool the server lists
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    authorization: str | None = field(default=None, repr=False)

    def allows(self, name: str, read_only: bool) -> bool:
        """Is tool ``name`` offered to the model (``allowed_tools``)?"""
        return self.allowed_tools is None or self.allowed_tools.matches(name, read_only)

    def request_headers(self) -> dict[str, str]:
        """The HTTP headers of every request to the server: ``headers``, then the
        ``authorization`` token as a bearer (it wins over a header of the same name)."""
        out = {str(k): str(v) for k, v in self.headers.items()}
        if self.authorization:
            out = {k: v for k, v in out.items() if k.lower() != "authorization"}
            out["Authorization"] = f"Bearer {self.authorization}"
        return out

    @property
    def where(self) -> str:
        """The server as error messages name it: label and URL without credentials or query."""
        if self.server_url:
            return f"'{self.server_label}' ({safe_url(self.server_url)})"
        return f"'{self.server_label}'"

    @property
    def secrets(self) -> list[str]:
        """Every credential this tool carries, for redacting anything that might quote one."""
        values = [v for v in self.headers.values() if isinstance(v, str) and len(v) >= 4]
        if self.authorization:
            values.append(self.authorization)
        return values


def safe_url(url: str) -> str:
    """``scheme://host[:port]/path`` of ``url``: no user info, query or fragment, which may
    carry keys (``?api_key=…``)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def parse_mcp_tools(tools: Any) -> list[McpServerConfig] | ProtocolError:
    """The MCP tools of a (validated) ``tools`` list, or the first refusal."""
    if not isinstance(tools, Sequence) or isinstance(tools, str):
        return []
    servers: list[McpServerConfig] = []
    labels: set[str] = set()
    for index, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or tool.get("type") != "mcp":
            continue
        parsed = _parse_one(tool, index)
        if isinstance(parsed, ProtocolError):
            return parsed
        if parsed.server_label in labels:
            return ProtocolError(
                "invalid_value",
                f"Invalid 'session.tools[{index}].server_label': '{parsed.server_label}' is "
                "already the label of another MCP tool. Give each MCP server its own label.",
                f"session.tools[{index}].server_label",
            )
        labels.add(parsed.server_label)
        servers.append(parsed)
    return servers


def _parse_one(tool: Mapping[str, Any], index: int) -> McpServerConfig | ProtocolError:
    path = f"session.tools[{index}]"
    label = tool.get("server_label")
    if not isinstance(label, str) or not label:
        return missing_required_parameter(f"{path}.server_label")
    url, connector, tunnel = (
        _str(tool.get(k)) for k in ("server_url", "connector_id", "tunnel_id")
    )
    if not (url or connector or tunnel):
        return missing_required_parameter(f"{path}.server_url")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        return ProtocolError(
            "invalid_value",
            f"Invalid '{path}.server_url': expected an http:// or https:// URL of a streamable "
            "HTTP MCP server (for example 'http://127.0.0.1:8000/mcp').",
            f"{path}.server_url",
        )
    allowed = None if tool.get("allowed_tools") is None else ToolFilter.parse(tool["allowed_tools"])
    if allowed is not None and allowed.empty and isinstance(tool["allowed_tools"], Mapping):
        allowed = None  # decision: an empty filter object restricts nothing, like null
    headers = tool.get("headers")
    return McpServerConfig(
        server_label=label,
        index=index,
        server_url=url,
        connector_id=connector,
        tunnel_id=tunnel,
        server_description=_str(tool.get("server_description")),
        allowed_tools=allowed,
        approval=ApprovalPolicy.parse(tool.get("require_approval")),
        headers={str(k): str(v) for k, v in headers.items()}
        if isinstance(headers, Mapping)
        else {},
        authorization=_str(tool.get("authorization")),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
