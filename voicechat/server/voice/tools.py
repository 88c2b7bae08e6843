"""What a responder may call and what it decided to call: the values between engine and responder.

The engine builds a :class:`ToolOffer` for every response (the session's tools, or the
response's own when ``response.create`` carries ``tools``, and the ``tool_choice`` in force; see
:func:`voicechat.server.tools.tool_offer`), and a responder yields a :class:`ToolCall` among its
text chunks when it decides to call one. The engine turns each call into an output item (a
``function_call`` item today; a producer per :attr:`FunctionTool.origin` picks, see
:mod:`voicechat.server.item_producers`).

Plain frozen values, no I/O: responders, the script parser and the chat stream assembler are
tested with them directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: ``tool_choice`` values with a meaning of their own (a dict forces one function)
AUTO, NONE, REQUIRED = "auto", "none", "required"


@dataclass(frozen=True)
class FunctionTool:
    """One tool the responder may call, as a function: name, description, JSON-schema
    parameters.

    ``origin`` says who runs it: ``"function"`` is a client-side function tool (the call goes
    out as a ``function_call`` item for the client to answer); other origins (hosted MCP
    servers) are run by the server itself and come with their own item producer.
    """

    name: str
    description: str = ""
    parameters: Mapping[str, Any] | None = None
    origin: str = "function"


@dataclass(frozen=True)
class ToolOffer:
    """The tools one response may call and the ``tool_choice`` in force."""

    tools: tuple[FunctionTool, ...] = ()
    choice: Any = AUTO

    def named(self, name: str) -> FunctionTool | None:
        """The offered tool called ``name``, if any."""
        return next((tool for tool in self.tools if tool.name == name), None)

    @property
    def forced_name(self) -> str | None:
        """The function ``tool_choice: {"type": "function", "name": …}`` forces, if any."""
        choice = self.choice
        if isinstance(choice, Mapping) and choice.get("type") == "function":
            name = choice.get("name")
            return name if isinstance(name, str) else None
        return None

    @property
    def calls_allowed(self) -> bool:
        """``tool_choice: "none"`` forbids calls; anything else allows them."""
        return bool(self.choice != NONE)

    @property
    def call_required(self) -> bool:
        """``"required"`` or a forced function: the reply must contain a call."""
        return self.choice == REQUIRED or self.forced_name is not None


NO_TOOLS = ToolOffer()


@dataclass(frozen=True)
class ToolCall:
    """A call a responder decided on: the tool's name and its arguments as the model wrote them.

    ``arguments`` is a string, never parsed: a real model's arguments can be malformed JSON and
    the Realtime API passes them through as written, so the local server does too. The
    ``call_id`` is minted by the engine when the call becomes an item (``call_`` + 16
    alphanumerics, the shape real calls have); a responder leaves it empty.
    """

    name: str
    arguments: str = "{}"
    call_id: str = field(default="", compare=False)
