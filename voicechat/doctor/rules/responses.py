"""Response lifecycle rules: ``client-cancelled-response``, ``concurrent-response``,
``cancel-without-response``.

All three come from a client that does not track the one active response: it cancels what it
just created, creates a second one while the first runs, or cancels when nothing runs. The
evidence points at the client events around each case, because that is where the bug lives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from voicechat.doctor.context import Context, dig
from voicechat.doctor.rules.base import (
    ERRORS,
    RESPONSE_ID,
    Rule,
    delta_tally,
    error_of,
    ms,
    response_id,
    since,
)
from voicechat.doctor.rules.tool_items import (
    call_name,
    calls_of,
    in_conversation,
    out_of_band,
    output_of,
    remember,
)
from voicechat.eventlog.dialects import CLIENT_EVENTS
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.run import Run

#: A client cancel this soon after response.created (or before any output) was not a barge-in.
EARLY_CANCEL_S = 1.0
_OUTPUT_DELTAS = frozenset({"response.output_audio.delta", "response.output_audio_transcript.delta",
                            "response.output_text.delta"})


class ClientCancelledResponse(Rule):
    id = "client-cancelled-response"
    title = "Responses were cancelled by the client right after being created"
    feeds_on = (CLIENT_EVENTS - {"input_audio_buffer.append"}) | _OUTPUT_DELTAS | {
        "response.created", "response.done"}
    #: Output deltas: counted per response.
    reads: ClassVar[Mapping[str, frozenset[str]]] = (
        dict.fromkeys(_OUTPUT_DELTAS, RESPONSE_ID))

    def __init__(self) -> None:
        super().__init__()
        self.open: dict[str, tuple[Entry, int, list[Entry]]] = {}  # id → (created, deltas, outs)
        self.causes: set[str] = set()

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if entry.dir == "out":
            for _, _, outs in self.open.values():
                if len(outs) < 4 and kind != "input_audio_buffer.append":
                    outs.append(entry)
            return
        if entry.dir != "in":
            return
        rid = response_id(entry)
        if kind == "response.created" and rid:
            self.open[rid] = (entry, 0, [])
            if len(self.open) > 16:
                self.open.pop(next(iter(self.open)))
        elif kind in _OUTPUT_DELTAS and rid in self.open:
            created, deltas, outs = self.open[rid]
            self.open[rid] = (created, deltas + 1, outs)
        elif kind == "response.done" and rid:
            opened = self.open.pop(rid, None)
            response = entry.canonical.get("response")
            reason = dig(response, "status_details", "reason")
            if dig(response, "status") != "cancelled" or reason != "client_cancelled":
                return
            if opened is None:
                return
            created, deltas, outs = opened
            gap = since(created, entry)
            early = gap < EARLY_CANCEL_S if gap is not None else deltas == 0
            if not early:
                return
            before = outs or [e for e in ctx.recent_out if e.index < created.index][-2:]
            causes = ", ".join(f"{e.type} ({e.where()})" for e in before) or "no client event"
            self.causes.update(e.type for e in before)
            self.add(entry, f"{rid}: created {created.where()}, cancelled by the client "
                            f"{'+' + ms(gap) if gap is not None else ''} later after {deltas} "
                            f"output deltas; client events just before: {causes}")

    def feed_run(self, run: Run, ctx: Context) -> None:
        """:meth:`feed` on each of ``run``: incoming output deltas, counted per open response
        in one call (outgoing runs are appends, which this rule does not read)."""
        if run.dir != "in":
            super().feed_run(run, ctx)
            return
        opened = self.open
        if not opened:
            return  # no response open: no delta here counts
        for (kind, rid), count in delta_tally(run).items():
            if kind in _OUTPUT_DELTAS and rid in opened:
                created, deltas, outs = opened[rid]
                opened[rid] = (created, deltas + count, outs)

    def fix(self, ctx: Context) -> str:
        lines = ["Find the code path that cancels a response it has just created:"]
        if "response.cancel" in self.causes:
            lines.append("- a response.cancel goes out right after response.created: only cancel "
                         "on confirmed user speech (after a minimum of assistant and user speech), "
                         "never from a timer or a stale interrupt handler;")
        if "session.update" in self.causes:
            lines.append("- a session.update is sent while the response is starting: send session "
                         "changes before response.create or after response.done;")
        if "response.create" in self.causes:
            lines.append("- a second response.create follows the first: keep one active response "
                         "and queue the next until response.done;")
        if len(lines) == 1:
            lines.append("- track the active response id and only cancel it on user intent.")
        return "\n".join(lines)


class ConcurrentResponse(Rule):
    """``response.create`` while a response runs, refused by the server; and its tool-turn
    variant (realtime-tools.md F2), recognised from the client's own events: a
    ``function_call_output`` for a call of a response that has not had its ``response.done``
    yet, then ``response.create`` (a client that runs the tool on ``output_item.done`` or
    ``function_call_arguments.done`` and asks for the reply at once). That one is reported at
    the ``response.create``; the refusal that answers it is the same occurrence, not another."""

    id = "concurrent-response"
    title = "response.create was sent while a response was still active"
    feeds_on = ERRORS | {"response.created", "response.done", "conversation.item.create",
                         "response.create", "response.function_call_arguments.done",
                         "response.output_item.done"}

    def __init__(self) -> None:
        super().__init__()
        self.running: dict[str, None] = {}  # conversation responses not done yet
        self.calls: dict[str, tuple[str, str]] = {}  # call_id → (its running response, label)
        self.output: tuple[Entry, str, str] | None = None  # output, its call's response, label
        self.counted: set[int] = set()  # response.create entries already reported
        self.tool_turn: tuple[str, str] | None = None  # (label, response) of the first

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if entry.dir == "out":
            self._client(entry)
            return
        if kind == "response.created":
            rid = response_id(entry)
            if rid and not out_of_band(entry):
                remember(self.running, rid, None)
            return
        if kind == "response.done":
            rid = response_id(entry)
            self.running.pop(rid or "", None)
            if self.output is not None and self.output[1] == rid:
                self.output = None
            return
        if kind != "error":
            rid = response_id(entry)
            if rid in self.running:
                for item in calls_of(entry):
                    remember(self.calls, item["call_id"], (rid, call_name(item)))
            return
        error = error_of(entry)
        if error is None:
            return
        message = str(error.get("message") or "")
        if (error.get("code") != "conversation_already_has_active_response"
                and "already has an active response" not in message):
            return
        client = ctx.client_event_for(entry, "response.create")
        if client is not None and client.index in self.counted:
            return  # the tool-turn occurrence this refusal answers, already reported
        match = re.search(r"\b(resp_\w+)", message)
        active = match.group(1) if match else ctx.active_response or "?"
        sent = f" (response.create at {client.where()})" if client is not None else ""
        self.add(entry, f"active response {active}; the new request was refused{sent}")

    def _client(self, entry: Entry) -> None:
        output = output_of(entry)
        if output is not None:
            found = self.calls.get(output["call_id"])
            if found is not None and found[0] in self.running:
                self.output = (entry, found[0], found[1])
            return
        if entry.type != "response.create" or self.output is None or not in_conversation(entry):
            return
        output_entry, rid, label = self.output
        self.output = None
        if rid not in self.running:
            return
        gap = since(output_entry, entry)
        self.counted.add(entry.index)
        if len(self.counted) > 64:
            self.counted.discard(min(self.counted))
        if self.tool_turn is None:
            self.tool_turn = (label, rid)
        self.add(entry, f"response.create {ms(gap) + ' ' if gap is not None else ''}after the "
                        f"function_call_output for {label} ({output_entry.where()}), while "
                        f"{rid}, the response that made the call, was still active (no "
                        "response.done yet)")

    def fix(self, ctx: Context) -> str:
        td = ctx.turn_detection
        text = ("Only one response may be active: wait for response.done (or cancel the active "
                "response first) before sending response.create, and queue or drop the new one "
                "visibly.")
        if self.tool_turn is not None:
            label, rid = self.tool_turn
            text += (f" Tool turns: the output for {label} was followed at once by "
                     f"response.create while {rid} was still running; queue response.create "
                     "until response.done of the response that made the calls, then send one "
                     "for all of its outputs.")
        if td is not None and td.get("create_response", True):
            text += (f" The session uses {td.get('type', 'server_vad')} with create_response: "
                     "true, so the server already creates a response when the user stops "
                     "speaking; stop sending response.create after speech_stopped, or set "
                     "create_response: false if the client must decide.")
        return text


class CancelWithoutResponse(Rule):
    id = "cancel-without-response"
    title = "response.cancel was sent when no response was active"
    feeds_on = ERRORS | {"response.done"}

    def __init__(self) -> None:
        super().__init__()
        self.last_done: Entry | None = None

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir == "in" and entry.type == "response.done":
            self.last_done = entry
            return
        error = error_of(entry)
        if error is None:
            return
        if (error.get("code") != "response_cancel_not_active"
                and "no active response" not in str(error.get("message") or "")):
            return
        client = ctx.client_event_for(entry, "response.cancel")
        detail = f'"{error.get("message")}"'
        if client is not None:
            detail += f" for response.cancel at {client.where()}"
        if self.last_done is not None:
            gap = since(self.last_done, client or entry)
            detail += (f"; the last response ({response_id(self.last_done)}) was already done at "
                       f"{self.last_done.where()}" + (f", {ms(gap)} earlier" if gap else ""))
        self.add(entry, detail)

    def fix(self, ctx: Context) -> str:
        return ("Send response.cancel only between response.created and response.done (track the "
                "active response id). Models generate faster than real time, so when the user "
                "interrupts, generation is usually finished: stop local playback and send "
                "conversation.item.truncate with the milliseconds actually played (WebSocket) or "
                "output_audio_buffer.clear (WebRTC) instead. The error itself is harmless.")
