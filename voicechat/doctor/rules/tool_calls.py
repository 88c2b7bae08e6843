"""Pairing calls with outputs: ``tool-call-unanswered`` and ``tool-output-unknown-call``.

Every completed ``function_call`` should get exactly one ``function_call_output`` with its
``call_id``, and every output must name a call the session's conversation has. A client that
ignores a call (or only shows it in its UI) leaves the model without the result — harmless to
OpenAI's server, which does not wait, but the model answers blind and Gemini-style servers
stall (realtime-tools.md F7). An output for a call the conversation never had is refused: the
server checks "that a function_call item with the same ID exists in the conversation history"
(the usual causes: the item id sent instead of the call id, or a call from before a reconnect,
whose new session has an empty conversation).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from voicechat.doctor.context import Context, dig
from voicechat.doctor.rules.base import ERRORS, Rule, error_of, response_id
from voicechat.doctor.rules.tool_items import (
    ITEM_EVENTS,
    USER_TURN,
    call_name,
    calls_of,
    created_item,
    out_of_band,
    output_of,
    remember,
    user_message,
)
from voicechat.eventlog.entry import Entry

#: The Realtime limit on a client-made ``call_id`` seen in public error texts (F12:
#: "string too long. Expected a string with maximum length 32"). [unverified: taken as a hint
#: in evidence only, never as a reason to report]
CALL_ID_MAX = 32
#: Tool names that end the session: the app answers such a call by closing (real captures:
#: ``hang_up``), so a log that ends on one is not missing an output.
ENDS_SESSION = re.compile(r"hang_?up|end_?(the_)?(call|session|conversation)|disconnect|bye",
                          re.IGNORECASE)
#: Call ids :class:`ToolOutputUnknownCall` remembers per session (~40 bytes each); past that it
#: stops judging rather than call a forgotten call unknown.
KNOWN_CALLS = 8192


@dataclass(slots=True)
class _Waiting:
    """A completed call with no output yet."""

    done: Entry  # the response.done that completed it
    label: str  # "name (call_id)"
    moved_on: Entry | None = None  # the first later turn: the conversation went on without it


class ToolCallUnanswered(Rule):
    """A completed call never got an output, and the conversation went on without it.

    Decisions where the reference is silent:

    - Only judgeable when the log holds the client's side: a log of server events only (most
      published captures) cannot show an output. The client's side counts as present when the
      log holds any client event other than an audio append (``Context.client_logged``);
      appends alone are often logged by a separate path.
    - Only calls whose item and response both *completed*: a call from a cancelled response
      (barge-in) should not be run (F6), so leaving it unanswered is right.
    - An output sent before its call's ``response.done`` answers it (the agents SDKs send it as
      soon as the call's item is done: issue 39 found this reported as unanswered).
    - The server's echo of an output (``conversation.item.added`` of a ``function_call_output``)
      answers it too: a log of server events only shows outputs that way.
    - When the conversation went on after the call's ``response.done`` (a later response, a
      user turn): reported as unanswered, when the log holds the client's side.
    - When the log *ends* on the call (nothing after it: no output, response or user turn),
      reported in words for a log that may have been cut there, whether or not the client's
      side is logged (issue 39: a real capture ending 0.3 s after a ``transferToSupervisor``
      call read "No problems found"). Not for a tool whose name says it ends the session
      (:data:`ENDS_SESSION`: ``hang_up``, ``end_call``…): ending the session is its answer,
      as in two real captures.
    - Decided at the end (GA runs calls asynchronously: an output may come turns later).
    """

    id = "tool-call-unanswered"
    title = "A function call never got a function_call_output"
    feeds_on = frozenset({"response.done", "response.created", "conversation.item.create",
                          "conversation.item.added", "session.created"}) | USER_TURN
    reads: ClassVar[Mapping[str, frozenset[str]]] = dict.fromkeys(USER_TURN, frozenset())

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, _Waiting] = {}  # by call_id
        #: Outputs sent before their call's response.done: the call is answered when it comes.
        self.answered: dict[str, None] = {}
        #: The waiting calls the conversation has not gone on past yet (``moved_on`` unset):
        #: what :meth:`_moved_on` visits, not every call kept (up to ``KEEP``: on a log of
        #: server events only no output ever comes, and each turn walked all of them).
        self.fresh: list[_Waiting] = []
        self.example: tuple[str, str] | None = None  # (name, call_id) of the first reported

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if entry.dir != "in":  # (the direction first: the helpers' own tests cost a call each)
            output = output_of(entry)
            if output is not None:
                self._answer(output["call_id"])
            elif user_message(entry):
                self._moved_on(entry)
            return
        if kind == "conversation.item.added":
            item = entry.canonical.get("item")
            if isinstance(item, dict) and item.get("type") == "function_call_output" \
                    and isinstance(item.get("call_id"), str):
                self._answer(item["call_id"])  # the server took an output (its echo)
            return
        if kind == "session.created":
            self._conclude_pending(ctx)  # a new session: the old one's calls are final
            self.pending.clear()
            self.fresh.clear()
        elif kind == "response.created":
            if not out_of_band(entry):
                self._moved_on(entry)
        elif kind in USER_TURN:
            self._moved_on(entry)
        elif kind == "response.done":
            response = entry.canonical.get("response")
            if dig(response, "status") != "completed":
                return
            for item in calls_of(entry):
                if item["call_id"] in self.answered:
                    del self.answered[item["call_id"]]
                    continue  # its output came before this response.done: answered
                if item.get("status", "completed") == "completed":
                    waiting = _Waiting(entry, call_name(item))
                    remember(self.pending, item["call_id"], waiting)
                    self.fresh.append(waiting)

    def _answer(self, call_id: str) -> None:
        if self.pending.pop(call_id, None) is None:
            remember(self.answered, call_id, None)

    def _moved_on(self, entry: Entry) -> None:
        """The conversation went on (a response or a user turn) past the calls waiting.

        Only the calls completed since the last time can be without ``moved_on``; one of
        them answered or forgotten since is no longer in ``pending``, and what is set on it
        is never read."""
        fresh = self.fresh
        if fresh:
            for waiting in fresh:
                if waiting.moved_on is None:
                    waiting.moved_on = entry
            fresh.clear()

    def conclude(self, ctx: Context) -> None:
        self._conclude_pending(ctx, at_end=True)
        self.pending.clear()
        self.fresh.clear()

    def _conclude_pending(self, ctx: Context, *, at_end: bool = False) -> None:
        for call_id, waiting in self.pending.items():
            done, moved = waiting.done, waiting.moved_on
            if moved is None:
                if at_end:
                    self._log_ends_on(ctx, call_id, waiting)
                continue
            if not ctx.client_logged:
                continue
            if self.example is None:
                self.example = (waiting.label.split(" (", 1)[0], call_id)
            self.add(done, f"call {waiting.label} completed in {response_id(done)} but no "
                           f"function_call_output for it was sent; the conversation went on "
                           f"({moved.type} at {moved.where()})")

    def _log_ends_on(self, ctx: Context, call_id: str, waiting: _Waiting) -> None:
        """The log ends on an unanswered call: say what it shows, for a log maybe cut there."""
        name = waiting.label.split(" (", 1)[0]
        if ENDS_SESSION.search(name):
            return
        done = waiting.done
        end_t = ctx.end_t
        after = (f"{end_t - done.t:.1f} s after it" if end_t is not None and done.t is not None
                 else "right after it")
        seen = "" if ctx.client_logged else (" (this log holds the server's events only, but "
                                             "the server would have echoed an output it took)")
        if self.example is None:
            self.example = (name, call_id)
        self.add(done, f"call {waiting.label} completed in {response_id(done)} and the log "
                       f"ends {after} with no function_call_output for it{seen}: if the log "
                       "was cut here, check the rest of the session; if the session ended "
                       "there, the model never got the result")

    def fix(self, ctx: Context) -> str:
        name, call_id = self.example or ("the tool", "<call_id>")
        return (
            "Answer every completed function call, exactly once, with its call_id: "
            f'{{"type": "conversation.item.create", "item": {{"type": "function_call_output", '
            f'"call_id": "{call_id}", "output": "<the result of {name}, as a string>"}}}}, '
            "then one response.create after that response's response.done. When the tool "
            "fails or is skipped, still answer (an error or \"cancelled\" text as the output): "
            "OpenAI does not wait for a missing output, but the model never learns the result, "
            "and servers that hold calls open until answered stall."
        )


class ToolOutputUnknownCall(Rule):
    """An output whose ``call_id`` names no call of the session's conversation.

    A log that starts mid-session cannot show the calls made before it began, so outputs are
    judged only after the log showed the session start (``session.created``); a new
    ``session.created`` (a reconnect) starts an empty conversation, so the calls known are
    forgotten there. Calls are known from every server event that names one and from
    ``function_call`` items the client creates itself (history replayed into a new session).

    The server's refusal proves it in any log, mid-session too. [unverified] The real wording
    is not publicly recorded; taken: an ``error`` whose message says "No tool call found" (the
    Responses API's text for the same mistake, which the local server sends too), counted once
    with the output it answers."""

    id = "tool-output-unknown-call"
    title = "A function_call_output named a call_id the conversation never had"
    feeds_on = frozenset({"session.created", "response.function_call_arguments.done",
                          "response.done", "conversation.item.create"}) | ITEM_EVENTS | ERRORS

    def __init__(self) -> None:
        super().__init__()
        self.started = False  # the log showed this session's start
        self.forgot = False  # more calls than KNOWN_CALLS: an unknown id proves nothing
        self.known: dict[str, None] = {}  # call ids, newest last (bounded)
        self.items: dict[str, str] = {}  # a call's item id → its call id
        self.last_call: str | None = None
        self.sent_item_id: tuple[str, str] | None = None  # (item id sent, its call id)
        self.reported: set[int] = set()  # outputs reported (their entries' index), bounded

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.type == "error":
            self._refused(entry, ctx)
            return
        if entry.dir == "in":
            if entry.type == "session.created":
                self.started = True
                self.forgot = False
                self.known.clear()
                self.items.clear()
                return
            for item in calls_of(entry):
                call_id = item["call_id"]
                self.forgot |= remember(self.known, call_id, None, KNOWN_CALLS)
                self.last_call = call_id
                item_id = item.get("id") or item.get("item_id")
                if isinstance(item_id, str):
                    remember(self.items, item_id, call_id)
            return
        created = created_item(entry)
        if created is None:
            return
        if created.get("type") == "function_call" and isinstance(created.get("call_id"), str):
            # a call the client itself adds (history replayed into a new session)
            self.forgot |= remember(self.known, created["call_id"], None, KNOWN_CALLS)
            return
        output = output_of(entry)
        if output is None or not self.started or self.forgot:
            return
        call_id = output["call_id"]
        if call_id in self.known:
            return
        detail = f"function_call_output for call_id {call_id!r}: no function_call in this " \
                 "session has that call_id"
        if call_id in self.items:
            self.sent_item_id = (call_id, self.items[call_id])
            detail += f" (it is the item id of call {self.items[call_id]})"
        elif self.last_call is not None:
            detail += f" (the latest call is {self.last_call})"
        if len(call_id) > CALL_ID_MAX:
            detail += f"; it is also {len(call_id)} characters (calls ids are at most 32)"
        self._count(entry)
        self.add(entry, detail)

    def _count(self, output: Entry) -> None:
        self.reported.add(output.index)
        if len(self.reported) > 64:
            self.reported.discard(min(self.reported))

    def _refused(self, entry: Entry, ctx: Context) -> None:
        """The server refused an output for naming no call."""
        error = error_of(entry)
        message = str((error or {}).get("message") or "")
        if "no tool call found" not in message.lower():
            return
        sent = ctx.client_event_for(entry, "conversation.item.create")
        if sent is not None and sent.index in self.reported:
            return  # the output already reported
        if sent is not None:
            self._count(sent)
        where = f" (the output at {sent.where()})" if sent is not None else ""
        self.add(entry, f'the server refused a function_call_output{where}: "{message}"')

    def fix(self, ctx: Context) -> str:
        text = ("Send a function_call_output only for a call of this session, with the call's "
                "call_id (response.function_call_arguments.done and the function_call item "
                "carry it; it is not the item id).")
        if self.sent_item_id is not None:
            item_id, call_id = self.sent_item_id
            text += f" This log sent the item id {item_id} where the call id {call_id} belongs."
        text += (" After a reconnect the new session's conversation is empty: re-create the "
                 "function_call item (conversation.item.create with type function_call, "
                 "call_id, name, arguments) before its output, or send the result as a message.")
        return text
