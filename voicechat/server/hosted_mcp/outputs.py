"""A tool's ``CallToolResult`` as the ``output`` string of an ``mcp_call`` item, bounded.

The item's ``output`` is one string, while an MCP result is a list of content blocks plus an
optional structured value. Decision (after the Agents SDK's ``MCPUtil``): the text blocks
joined by newlines; a result with no text but structured content is that content as JSON;
other blocks (image, audio, resource links, blobs) appear as a one-line placeholder, since a
Realtime output carries text only. An output over the cap keeps its beginning and ends with a
note saying how much was cut, so neither the model nor the person reading the log mistakes it
for the whole result.
"""

from __future__ import annotations

import json
from typing import Any


def truncation_note(total: int, kept: int) -> str:
    return f"\n[output truncated by the local server: {total} characters, the first {kept} kept]"


def bounded(text: str, max_chars: int) -> str:
    """``text`` itself, or its first ``max_chars`` characters and :func:`truncation_note`."""
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + truncation_note(len(text), max_chars)


def result_text(result: Any, max_chars: int) -> str:
    """The output string of a ``CallToolResult`` (SDK 2.x attributes), at most ``max_chars``
    characters plus the truncation note."""
    pieces = [_block_text(block) for block in getattr(result, "content", None) or []]
    texts = [p for p in pieces if p]
    structured = getattr(result, "structured_content", None)
    if not texts and structured is not None:
        return bounded(json.dumps(structured, ensure_ascii=False), max_chars)
    return bounded("\n".join(texts), max_chars)


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", None)
    if kind == "text":
        return str(getattr(block, "text", ""))
    if kind == "resource":
        resource = getattr(block, "resource", None)
        text = getattr(resource, "text", None)
        if isinstance(text, str):
            return text
        return f"[resource {getattr(resource, 'uri', '')}: binary content not shown]"
    if kind == "resource_link":
        return f"[resource link {getattr(block, 'uri', '')}]"
    if kind in ("image", "audio"):
        mime = getattr(block, "mime_type", None) or kind
        size = len(getattr(block, "data", "") or "")
        return f"[{kind} {mime}: {size} characters of base64 not shown]"
    return f"[{kind} content not shown]"
