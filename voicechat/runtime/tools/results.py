"""An MCP ``CallToolResult`` as the one string a ``function_call_output`` carries.

Realtime outputs are text only [reference §7.1]: text blocks are joined; an image, audio, a
resource link or an embedded resource is described in words (type, MIME type, size, URI) so the
model knows it exists; structured content is used when there is no text; ``isError`` is said
plainly at the start so the model does not read an error as data.
"""

from __future__ import annotations

import json
from typing import Any


def flatten_result(result: Any) -> tuple[str, bool]:
    """``(text, ok)`` for an ``mcp.types.CallToolResult`` (read by attribute, duck-typed)."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or []:
        parts.append(describe_block(block))
    structured = getattr(result, "structured_content", None)
    if not any(p.strip() for p in parts) and structured is not None:
        parts = [json.dumps(structured, ensure_ascii=False, default=str)]
    text = "\n".join(p for p in parts if p)
    is_error = bool(getattr(result, "is_error", False))
    if is_error:
        return f"error: the tool reported a failure: {text or '(no details)'}", False
    return text, True


def describe_block(block: Any) -> str:
    """One content block as text."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return str(getattr(block, "text", ""))
    if kind in ("image", "audio"):
        data = getattr(block, "data", "") or ""
        size = len(data) * 3 // 4  # base64
        mime = getattr(block, "mime_type", None) or "unknown type"
        return f"[{kind} ({mime}, about {size} bytes) not shown: tool outputs are text only]"
    if kind == "resource_link":
        return f"[resource link: {getattr(block, 'name', '')} {getattr(block, 'uri', '')}]"
    if kind == "resource":
        resource = getattr(block, "resource", None)
        text = getattr(resource, "text", None)
        uri = getattr(resource, "uri", "")
        if isinstance(text, str):
            return f"[resource {uri}]\n{text}"
        return f"[binary resource {uri} not shown: tool outputs are text only]"
    return f"[{kind or 'unknown'} content not shown]"
