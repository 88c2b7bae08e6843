"""The session as the server shows it, without the MCP tools' credentials.

``session.created`` / ``session.updated`` echo the effective session, ``tools`` included, and
MCP tools carry secrets: ``authorization`` (an OAuth access token) and ``headers`` (often an
API key). What the real service echoes for them is not documented [unverified]. Decision: the
echo never carries a credential — ``authorization`` is left out and each header keeps its name
with the value ``"[redacted]"``, so a client (or a log reader) sees which headers were set but
not what they hold. The engine keeps the real values for the MCP client; a client that sends
the echoed tool back gets its server's 401 as a listing failure, which says what to do.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from voicechat.protocol.secrets import REDACTED


def redact_tool(tool: Any) -> Any:
    """One tool object as echoed: an MCP tool without its credentials, anything else as is."""
    if not isinstance(tool, Mapping) or tool.get("type") != "mcp":
        return tool
    out = {k: copy.deepcopy(v) for k, v in tool.items() if k != "authorization"}
    headers = out.get("headers")
    if isinstance(headers, Mapping):
        out["headers"] = {str(name): REDACTED for name in headers}
    return out


def echoed_session(session: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``session`` fit to send: MCP credentials out of ``tools``."""
    out = copy.deepcopy(dict(session))
    tools = out.get("tools")
    if isinstance(tools, list):
        out["tools"] = [redact_tool(tool) for tool in tools]
    return out
