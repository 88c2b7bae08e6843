"""Who speaks after a tool result: ``tool-output-without-response``, ``stale-tool-response``.

The server never answers a ``function_call_output`` on its own: the client must send
``response.create`` after it (realtime-tools.md §3, F1), or the assistant goes silent until the
user speaks again. The opposite mistake follows a barge-in: the response that made the call was
cancelled because the user started talking, and the client still delivers the result *with* a
``response.create``, so the assistant talks over the user (F6); there the output should go
without a reply request and the user's turn drive the next response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from voicechat.doctor.context import Context, dig
from voicechat.doctor.rules.base import Rule, ms, response_id, since
from voicechat.doctor.rules.tool_items import (
    USER_TURN,
    call_name,
    calls_of,
    in_conversation,
    out_of_band,
    output_of,
    remember,
    user_turn,
)
from voicechat.eventlog.entry import Entry

#: Nothing for this long after an output (no response.create, no response, no user) is the
#: assistant gone silent: a follow-up normally starts within a second of the output.
SILENT_S = 5.0
#: What a barge-in cancel says in ``response.done``'s ``status_details.reason``.
BARGE_IN_REASONS = frozenset({"turn_detected", "client_cancelled"})
_TURN_START = frozenset({"input_audio_buffer.speech_started"})


def cancelled_calls(entry: Entry) -> tuple[str | None, list[dict[str, Any]]]:
    """For a ``response.done`` of a response cancelled by a barge-in: the reason and the
    calls it made; else ``(None, [])``."""
    response = entry.canonical.get("response")
    if dig(response, "status") != "cancelled":
        return None, []
    reason = dig(response, "status_details", "reason")
    if reason not in BARGE_IN_REASONS:
        return None, []
    return reason, list(calls_of(entry))


class ToolOutputWithoutResponse(Rule):
    """An output was sent, no ``response.create`` followed, and nobody spoke.

    Not reported: outputs sent before the session's first response (history replayed into a new
    session, which needs no reply); an output for a call whose response a barge-in cancelled
    (sending it without a reply is the right handling, F6); an output while the user is
    talking, or followed by the user's turn within :data:`SILENT_S` (the user took the turn, as
    after a barge-in). Reported the moment it is certain: the user speaks again after
    :data:`SILENT_S` of silence (they had to: the assistant never answered), or at the end of
    the log when it ran on that long (the log's own timeline counts: ``Context.end_t``) or,
    in a log without times, ended there after the server took the output.

    In a log without times the silence is read off the input audio clock (issue 39: 11.5 s of
    dead air, ended by "Hello? Are you still there?", read "No problems found"): the user's
    ``speech_started`` ``audio_start_ms`` against the ``audio_end_ms`` of their turn before
    the output. That span also holds the call and the tool's run, so it is said as what it is:
    the time between the user's two utterances, with the output in between unanswered."""

    id = "tool-output-without-response"
    title = "A tool result was sent without response.create: the assistant went silent"
    feeds_on = frozenset({"session.created", "response.created", "response.done",
                          "conversation.item.create", "conversation.item.added",
                          "response.create", "input_audio_buffer.speech_stopped"}) \
        | USER_TURN | _TURN_START
    #: The user's turns by the input audio clock alone (:meth:`_by_audio_clock`).
    reads: ClassVar[Mapping[str, frozenset[str]]] = dict.fromkeys(
        {"input_audio_buffer.speech_stopped", *USER_TURN, *_TURN_START},
        frozenset({"audio_start_ms", "audio_end_ms"}))

    def __init__(self) -> None:
        super().__init__()
        self.responded = False  # a response ran in this session (else: seeding history)
        self.user_talking = False
        self.cancelled: dict[str, None] = {}  # calls of barge-in-cancelled responses
        self.names: dict[str, str] = {}  # call_id → "name (call_id)"
        self.output: Entry | None = None  # the first output still waiting for a reply
        self.label = ""
        self.acked = False  # the server took the output (conversation.item.added)
        self.example: str | None = None
        #: The input audio clock where the user's last turn ended (speech_stopped's
        #: ``audio_end_ms``), and where it stood when the waiting output was sent.
        self.audio_end_ms: float | None = None
        self.output_audio_ms: float | None = None

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if entry.dir == "in":
            if kind == "session.created":
                self.responded = self.user_talking = False
                self.output = None
            elif kind == "response.created":
                if not out_of_band(entry):
                    self.responded = True
                    self.output = None
            elif kind == "response.done":
                for item in calls_of(entry):
                    remember(self.names, item["call_id"], call_name(item))
                for item in cancelled_calls(entry)[1]:
                    remember(self.cancelled, item["call_id"], None)
            elif kind in _TURN_START:
                self._user_turn(entry)
                self.user_talking = True
            elif kind == "input_audio_buffer.speech_stopped" or kind in USER_TURN:
                self.user_talking = False
                self._user_turn(entry)
                end_ms = entry.canonical.get("audio_end_ms")
                if isinstance(end_ms, int | float) and not isinstance(end_ms, bool):
                    self.audio_end_ms = float(end_ms)
            elif kind == "conversation.item.added" and self.output is not None:
                self.acked = True
            return
        if kind == "response.create" and in_conversation(entry):
            self.output = None
            return
        if user_turn(entry):
            self._user_turn(entry)
            return
        output = output_of(entry)
        if output is None or self.output is not None:
            return
        if not self.responded or self.user_talking or output["call_id"] in self.cancelled:
            return
        call_id = output["call_id"]
        self.output, self.acked = entry, False
        self.output_audio_ms = self.audio_end_ms
        self.label = self.names.get(call_id) or call_name(output)

    def _user_turn(self, entry: Entry) -> None:
        """The user spoke or typed: after :data:`SILENT_S` of silence, the pattern is
        complete; sooner (or without times), the user simply took the turn."""
        output = self.output
        if output is None:
            return
        self.output = None
        if output.t is None or entry.t is None:
            self._by_audio_clock(output, entry)
            return
        if entry.t - output.t < SILENT_S:
            return
        self._report(output, f"and nothing answered it until the user's {entry.type} at "
                             f"{entry.where()}, {entry.t - output.t:.1f} s later")

    def _by_audio_clock(self, output: Entry, entry: Entry) -> None:
        """No times: the user's next words against their last, on the input audio clock."""
        start_ms = entry.canonical.get("audio_start_ms")
        before = self.output_audio_ms
        if (entry.type != "input_audio_buffer.speech_started" or before is None
                or not isinstance(start_ms, int | float) or isinstance(start_ms, bool)):
            return
        gap_s = (start_ms - before) / 1000.0
        if gap_s < SILENT_S:
            return
        self._report(output, f"and nothing answered it: the user spoke again at "
                             f"{entry.where()} (speech_started audio_start_ms {start_ms:.0f}), "
                             f"{gap_s:.1f} s after their last words by the input audio clock "
                             f"(audio_end_ms {before:.0f}), the output unanswered in between")

    def _report(self, output: Entry, tail: str) -> None:
        if self.example is None:
            self.example = self.label
        self.add(output, f"function_call_output for {self.label} sent with no response.create "
                         f"after it {tail}")

    def conclude(self, ctx: Context) -> None:
        output = self.output
        if output is None:
            return
        self.output = None
        end_t = ctx.end_t
        if output.t is not None and end_t is not None:
            if end_t - output.t >= SILENT_S:
                self._report(output, f"and no response for the {end_t - output.t:.1f} s the "
                                     "log ran on")
        elif self.acked:
            self._report(output, "and none followed until the log ends (the server took the "
                                 "output)")

    def fix(self, ctx: Context) -> str:
        label = self.example or "the call"
        return (f"After sending the function_call_output for {label}, send response.create: the "
                "server does not answer a tool result on its own. With several calls in one "
                "response, send all their outputs, then one response.create, after that "
                "response's response.done.")


class StaleToolResponse(Rule):
    """A tool result and ``response.create`` for a call whose response a barge-in cancelled.

    The pattern completes at the ``response.create``: an output for a call of a response that
    ended ``cancelled`` (``turn_detected``, or ``client_cancelled`` by a client-side barge-in)
    was sent since the last response began, and the user's turn has not been committed since
    (after the commit, a response.create answers the user, with the result in context, which is
    fine)."""

    id = "stale-tool-response"
    title = "A tool result was answered after a barge-in cancelled its response"
    feeds_on = frozenset({"response.done", "response.created", "conversation.item.create",
                          "response.create"}) | USER_TURN
    reads: ClassVar[Mapping[str, frozenset[str]]] = dict.fromkeys(USER_TURN, frozenset())

    def __init__(self) -> None:
        super().__init__()
        #: call_id → ("resp_x was cancelled (reason) at t=…", the reason, "name (call_id)"):
        #: text, not the response.done itself, so a long session keeps little
        self.cancelled: dict[str, tuple[str, str, str]] = {}
        self.stale: tuple[Entry, str, str, str] | None = None  # output, label, why, reason
        self.reasons: set[str] = set()

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if entry.dir == "in":
            if kind == "response.done":
                reason, calls = cancelled_calls(entry)
                if not calls:
                    return  # (most responses: the text below is for a cancelled call only)
                why = f"{response_id(entry)} was cancelled ({reason}) at {entry.where()}"
                for item in calls:
                    remember(self.cancelled, item["call_id"], (why, reason or "?",
                                                               call_name(item)))
            elif (kind == "response.created" and not out_of_band(entry)) or kind in USER_TURN:
                self.stale = None
            return
        if kind == "response.create":
            stale = self.stale
            if stale is not None and in_conversation(entry):
                output, label, why, reason = stale
                self.stale = None
                self.reasons.add(reason)
                gap = since(output, entry)
                after = f"{ms(gap)} " if gap is not None else ""
                self.add(entry, f"response.create {after}after the function_call_output for "
                                f"{label} ({output.where()}), whose response {why}: the user "
                                "had cut in, and the new response talks over them")
            return
        if kind == "conversation.item.create":
            sent = output_of(entry)
            if sent is None:
                if user_turn(entry):
                    self.stale = None
                return
            found = self.cancelled.get(sent["call_id"])
            if found is not None:
                why, reason, label = found
                self.stale = (entry, label, why, reason)

    def fix(self, ctx: Context) -> str:
        return ("When a barge-in cancels a response (response.done status cancelled, reason "
                f"{' or '.join(sorted(self.reasons)) or 'turn_detected'}), do not ask for a "
                "reply to its calls: skip calls whose item did not complete; if a tool finished "
                "anyway, send its function_call_output without response.create and let the "
                "user's turn drive the next response (it sees the result in the conversation).")
