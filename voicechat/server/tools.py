"""The tools one response may call, and the rules the service keeps about calls and outputs.

The offer is a value built per response (:func:`tool_offer`): the session's ``tools`` and
``tool_choice``, each replaced by the response's own when ``response.create`` carries one (the
response's parameters override the session's defaults, as ``instructions`` do). Hosted tool
sources (MCP servers) add their tools to it through the runner's ``tool_sources``.

Outputs: a ``function_call_output`` must answer a call in the conversation
(:func:`unknown_call_output`) and be a string (the validator); its size is bounded only by what
the transport carries (WebSocket frames up to 15 MB, ``server/ws.py``). Decided: no smaller
cap, since the real service documents none and a 5 MB output is a client's mistake to see in
its usage, not a reason to drop the session.

Call ids look like the real ones: ``call_`` + 16 alphanumerics (real beta and GA logs:
``call_kmnUtkOoDYWLgJHP``).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from voicechat.protocol.errors import ProtocolError
from voicechat.server.voice.tools import AUTO, FunctionTool, ToolOffer

_CALL_ID_ALPHABET = string.ascii_letters + string.digits
#: the longest ``call_id`` a client may give an item it creates. [unverified] The one public
#: trace of the real message says 32 ("Invalid 'item.call_id': string too long. Expected a
#: string with maximum length 32, …"); decided: enforce 32 (protocol/_schema_overlay.py's
#: MAX_LENGTH, shared with ``voicechat validate``), since ours are 21 and a client that replays
#: longer ids from another API must learn it before the real service tells it.
CALL_ID_MAX_LENGTH = 32


def new_call_id() -> str:
    """``call_`` + 16 random alphanumerics, the shape of real call ids."""
    return "call_" + "".join(secrets.choice(_CALL_ID_ALPHABET) for _ in range(16))


def tool_offer(session: Mapping[str, Any], params: Mapping[str, Any]) -> ToolOffer:
    """The function tools and ``tool_choice`` of one response (``params``: ``response.create``'s
    ``response``, already in the GA shape). Tools of other types are not functions and are
    left to their own sources (hosted MCP)."""
    tools = params["tools"] if isinstance(params.get("tools"), list) else session.get("tools")
    choice = params.get("tool_choice", session.get("tool_choice", AUTO))
    functions = tuple(
        FunctionTool(
            name=str(tool.get("name") or ""),
            description=str(tool.get("description") or ""),
            parameters=tool.get("parameters")
            if isinstance(tool.get("parameters"), Mapping)
            else None,
        )
        for tool in tools or []
        if isinstance(tool, Mapping) and tool.get("type", "function") == "function"
    )
    return ToolOffer(functions, choice if choice is not None else AUTO)


def unknown_call_output(call_id: str) -> ProtocolError:
    """A ``function_call_output`` whose ``call_id`` answers no call in the conversation.

    [unverified] The real service checks this ("a function_call item with the same ID must exist
    in the conversation", SDK docstring) but its wording is not publicly recorded. Decided: the
    Responses API's message for the same mistake ("No tool call found for function call output
    with call_id …"), the closest real text, with ``param`` pointing at the field and the code
    ``null`` as there.
    """
    return ProtocolError(
        None,
        f"No tool call found for function call output with call_id '{call_id}'. The "
        "function_call_output must answer a function_call item in this conversation.",
        "item.call_id",
    )
