"""A recursion-free depth check for client JSON, before anything recursive touches it.

``json.loads`` accepts documents nested a few hundred levels deep, but everything after it
(validation, ``copy.deepcopy``, ``json.dumps`` of ``session.updated``) recurses once per level and
dies with ``RecursionError`` somewhere inside the engine. No real session, tool schema or item
is nested anywhere near :data:`MAX_DEPTH`, so anything deeper is refused at the edge with an
``error`` event or a 400, and the rest of the server may recurse freely.
"""

from __future__ import annotations

from typing import Any

from voicechat.protocol.errors import ProtocolError

#: Levels of objects and arrays a client document may have. A GA ``session.update`` carrying a
#: tool whose JSON-schema parameters nest objects ten deep is ~30 levels.
MAX_DEPTH = 100


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` has more than ``limit`` levels of dicts and lists (iterative walk)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def nested_too_deeply(what: str = "The event") -> ProtocolError:
    """The error for a document over :data:`MAX_DEPTH` (wording ours: never observed upstream)."""
    return ProtocolError(
        "invalid_value",
        f"{what} is nested too deeply: at most {MAX_DEPTH} levels of objects and arrays are "
        "accepted.",
    )
