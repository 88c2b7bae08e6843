"""What the tool-turn rules read of events: calls, outputs, who ended a response, turns.

Function calls reach a log in several places at once (``response.output_item.added``/``.done``,
``conversation.item.added``/``.done`` — beta's ``conversation.item.created`` is canonicalised to
``.added`` — ``response.function_call_arguments.done`` and the ``output`` of ``response.done``);
the client answers with ``conversation.item.create`` of a ``function_call_output`` item and
asks for the next reply with ``response.create``. One place reads those shapes so the rules in
``tool_turns.py``, ``tool_calls.py`` and ``mcp.py`` agree on them.
"""

from __future__ import annotations

from typing import Any

from voicechat.doctor.context import dig
from voicechat.eventlog.entry import Entry

#: Server events that carry a whole item (``item``).
ITEM_EVENTS = frozenset({"response.output_item.added", "response.output_item.done",
                         "conversation.item.added", "conversation.item.done"})
#: A user turn: the server committed the user's audio (a typed turn is
#: :func:`user_message`).
USER_TURN = frozenset({"input_audio_buffer.committed"})
#: The newest few ids a rule keeps per kind (calls, responses): a long session makes hundreds
#: of calls, and only the recent ones are still answerable.
KEEP = 512


def items_of(entry: Entry) -> tuple[dict[str, Any], ...]:
    """The items a server event carries: its ``item``, or the ``output`` of ``response.done``.
    (A tuple, not a generator: the tool rules ask this of every item event, and a generator's
    set-up cost more than the rest of their work on one.)"""
    kind = entry.type
    if kind in ITEM_EVENTS:
        item = entry.canonical.get("item")
        return (item,) if isinstance(item, dict) else ()
    if kind == "response.done":
        output = dig(entry.canonical, "response", "output")
        if isinstance(output, list):
            return tuple(item for item in output if isinstance(item, dict))
    return ()


def calls_of(entry: Entry) -> tuple[dict[str, Any], ...]:
    """The ``function_call`` items a server event names (with a string ``call_id``); for
    ``response.function_call_arguments.done``, the event itself (it has ``call_id`` and
    ``name``)."""
    if entry.dir != "in":
        return ()
    kind = entry.type
    if kind in ITEM_EVENTS:  # (items_of's first case, without its call: the common one)
        item = entry.canonical.get("item")
        if isinstance(item, dict) and item.get("type") == "function_call" \
                and isinstance(item.get("call_id"), str):
            return (item,)
        return ()
    if kind == "response.function_call_arguments.done":
        canonical = entry.canonical
        return (canonical,) if isinstance(canonical.get("call_id"), str) else ()
    return tuple(item for item in items_of(entry)
                 if item.get("type") == "function_call" and isinstance(item.get("call_id"), str))


def created_item(entry: Entry) -> dict[str, Any] | None:
    """The item a client's ``conversation.item.create`` adds."""
    if entry.dir != "out" or entry.type != "conversation.item.create":
        return None
    item = entry.canonical.get("item")
    return item if isinstance(item, dict) else None


def output_of(entry: Entry) -> dict[str, Any] | None:
    """The ``function_call_output`` item a client event sends (with a string ``call_id``)."""
    item = created_item(entry)
    if item is None or item.get("type") != "function_call_output":
        return None
    return item if isinstance(item.get("call_id"), str) else None


def user_message(entry: Entry) -> bool:
    """A client event that adds a user message: a typed turn."""
    item = created_item(entry)
    return item is not None and item.get("type", "message") == "message" \
        and item.get("role") == "user"


def user_turn(entry: Entry) -> bool:
    """The user took a turn: audio committed by the server, or a typed message sent."""
    return (entry.dir == "in" and entry.type in USER_TURN) or user_message(entry)


def in_conversation(entry: Entry) -> bool:
    """A client ``response.create`` for the conversation (not an out-of-band one,
    ``response.conversation: "none"``, which may run beside the active response)."""
    return bool(dig(entry.canonical, "response", "conversation") != "none")


def out_of_band(entry: Entry) -> bool:
    """A server ``response.created``/``.done`` of a response outside the conversation
    (``conversation_id: null``): an app's side task, such as transcribing a turn."""
    response = entry.canonical.get("response")
    return isinstance(response, dict) and "conversation_id" in response \
        and response["conversation_id"] is None


def call_name(item: dict[str, Any]) -> str:
    """``name (call_id)`` for evidence lines."""
    name = item.get("name")
    return f"{name if isinstance(name, str) else '?'} ({item.get('call_id')})"


def remember(store: dict[str, Any], key: str, value: Any, keep: int = KEEP) -> bool:
    """``store[key] = value``, forgetting the oldest once ``keep`` are kept (dicts keep
    insertion order); whether one was forgotten."""
    store[key] = value
    if len(store) > keep:
        del store[next(iter(store))]
        return True
    return False
