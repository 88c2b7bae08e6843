"""A scripted ConversationHandle for UI tests: the real session core, a scripted server.

Only OpenAI's side is fake. Server events (GA names, in the orderings of docs/reference-notes.md
§7) go into the real ``voicechat.core.Session`` with a test clock, so the view the app reads is
the real one; the session's actions are carried out the way the runtime would (``Send`` is
logged as an ``out`` record and answered by a tiny scripted server, mic and notice actions become
``local.*`` records). Nothing here touches audio, sockets or the wall clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from voicechat.core.actions import (
    AskApproval,
    CancelTool,
    FlushPlayback,
    LocalRecord,
    MuteMic,
    Notice,
    RunTool,
    Send,
    ToolRecord,
    UnmuteMic,
)
from voicechat.core.inputs import (
    CancelRequested,
    MicAudio,
    SendText,
    SetBargeIn,
    SetPttStyle,
    SetTools,
    TalkPressed,
    TalkReleased,
    ToggleMute,
    ToolApproval,
    ToolFinished,
)
from voicechat.core.live_settings import LiveSettings
from voicechat.core.policy import SessionPolicy
from voicechat.core.session import Session
from voicechat.core.tool_specs import ToolSpec
from voicechat.core.view import SessionView
from voicechat.eventlog.record import Direction, LogRecord
from voicechat.runtime.fanout import Subscribers
from voicechat.ui.handle import (
    AecStatus,
    ConnectionInfo,
    SettingsOutcome,
    SwitchTarget,
    ToolPrompt,
)


class ScriptedHandle:
    """Implements ``voicechat.ui.handle.ConversationHandle`` for tests (see module doc)."""

    def __init__(
        self,
        *,
        mode: str = "vad",
        transport: str = "webrtc",
        barge_in: bool = False,
        level: float = 0.0,
        start_error: BaseException | None = None,
        reply: str = "Sure, here it is.",
        clock: float = 100.0,
    ) -> None:
        self.session = Session(SessionPolicy(mode=mode, transport=transport,  # type: ignore[arg-type]
                                             barge_in=barge_in))
        self.connection_info = ConnectionInfo(transport, "local", "gpt-realtime", "ga", "new")
        self.clock = clock
        self._t0 = clock
        self.level = level
        self.aec_status = AecStatus()
        self.start_error = start_error
        self.reply = reply
        self.calls: list[str] = []
        self.settings = LiveSettings()
        self.sent: list[dict[str, Any]] = []
        self.records: list[LogRecord] = []
        self.started = False
        self.stopped = False
        self._subs = Subscribers()
        self._ids = itertools.count(1)
        self.prompt: ToolPrompt | None = None
        self.prompts: list[ToolPrompt | None] = []
        self.runs: list[RunTool] = []  # tools the core asked to run (the test finishes them)
        self.answers: list[tuple[str, str]] = []

    # --- ConversationHandle ----------------------------------------------------------------

    @property
    def connection(self) -> ConnectionInfo:
        return self.connection_info

    @property
    def view(self) -> SessionView:
        return self.session.view

    @property
    def input_level(self) -> float:
        return self.level

    @property
    def aec(self) -> AecStatus:
        return self.aec_status

    # a Realtime session: settings open and every key works
    settings_unavailable = ""
    unavailable_keys: Mapping[str, str] = MappingProxyType({})

    def subscribe(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]:
        return self._subs.add(callback)

    async def start(self) -> None:
        self.calls.append("start")
        if self.start_error is not None:
            raise self.start_error
        self.started = True
        self.connection_info = ConnectionInfo(self.connection_info.transport, "local",
                                              "gpt-realtime", "ga", "connected")
        self.server({"type": "session.created", "event_id": "event_0",
                     "session": {"type": "realtime", "model": "gpt-realtime"}})
        self._apply(self.session.start(self.clock))

    async def stop(self) -> None:
        self.calls.append("stop")
        self.stopped = True

    def talk_pressed(self) -> None:
        self.calls.append("talk_pressed")
        self._apply(self.session.handle(TalkPressed(), self.clock))

    def talk_released(self) -> None:
        self.calls.append("talk_released")
        self._apply(self.session.handle(TalkReleased(), self.clock))

    def set_ptt_style(self, style: str) -> None:
        self.calls.append(f"set_ptt_style:{style}")
        self._apply(self.session.handle(SetPttStyle(style), self.clock))

    def toggle_mute(self) -> None:
        self.calls.append("toggle_mute")
        self._apply(self.session.handle(ToggleMute(), self.clock))

    def toggle_barge_in(self) -> None:
        self.calls.append("toggle_barge_in")
        enabled = not self.session.view.barge_in
        self._apply(self.session.handle(SetBargeIn(enabled), self.clock))

    def cancel(self) -> None:
        self.calls.append("cancel")
        self._apply(self.session.handle(CancelRequested(), self.clock))

    def send_text(self, text: str) -> None:
        self.calls.append(f"send_text:{text}")
        self._apply(self.session.handle(SendText(text), self.clock))

    def send_image(self, path: str, caption: str = "") -> str | None:
        self.calls.append(f"send_image:{path}")
        return "the scripted handle sends no pictures"

    @property
    def live_settings(self) -> LiveSettings:
        return self.settings

    def apply_settings(self, settings: LiveSettings) -> SettingsOutcome:
        self.calls.append("apply_settings")
        self.settings = settings
        return SettingsOutcome(True, "", "evt_scripted", ("settings",))

    def switch_targets(self) -> list[SwitchTarget]:
        return []

    async def new_session(self, **target: Any) -> None:
        self.calls.append(f"new_session:{target}")

    def set_tool_prompt(self, prompt: ToolPrompt | None) -> None:
        self.prompts.append(prompt)  # kept out of ``calls``: those are the user's commands
        self.prompt = prompt

    def answer_tool(self, call_id: str, decision: str) -> None:
        self.answers.append((call_id, decision))
        self._apply(self.session.handle(ToolApproval(call_id, decision), self.clock))

    save_result: Path | OSError | None = None
    """What :meth:`save_conversation` gives: a path, nothing (no turn yet), or this error."""

    def save_conversation(self) -> Path | None:
        self.calls.append("save_conversation")
        if isinstance(self.save_result, OSError):
            raise self.save_result
        return self.save_result

    # --- scripting -------------------------------------------------------------------------

    def advance(self, seconds: float, *, mic_ms: float | None = None) -> None:
        """Let time pass: fire the core's deadlines; report mic audio while the mic is live."""
        target = self.clock + seconds
        while True:
            deadline = self.session.next_deadline()
            if deadline is None or deadline > target:
                break
            self.clock = max(self.clock, deadline)
            self._apply(self.session.handle_timer(self.clock))
        sent_ms = seconds * 1000 if mic_ms is None else mic_ms
        self.clock = target
        if self.session.view.mic.value == "live" and sent_ms > 0:
            self._apply(self.session.handle(MicAudio(sent_ms), self.clock))

    def set_tools(self, *tools: ToolSpec) -> None:
        """Offer function tools (the runtime does this once its sources started)."""
        self._apply(self.session.handle(SetTools(tools), self.clock))

    def finish_tool(self, call_id: str, output: str, *, ok: bool = True,
                    duration: float = 0.0) -> None:
        """A tool the core asked to run has finished (what the runtime's runner reports)."""
        self._apply(self.session.handle(ToolFinished(call_id, output, ok, duration), self.clock))

    def server(self, event: dict[str, Any]) -> None:
        """One server event (GA canonical) into the core, logged as ``in``."""
        self._emit("in", event)
        self._apply(self.session.receive(event, self.clock))

    def run(self, events: Iterable[dict[str, Any]], step: float = 0.05) -> None:
        for event in events:
            self.server(event)
            self.advance(step, mic_ms=0)

    # --- carrying out actions (what the runtime does) -------------------------------------

    def _emit(self, direction: Direction, event: dict[str, Any]) -> None:
        record = LogRecord(self.clock - self._t0, "2026-11-21T06:00:00.000Z", direction, event)
        self.records.append(record)
        self._subs.emit(record)

    def _apply(self, actions: list[Any]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self.sent.append(action.event)
                self._emit("out", action.event)
                self._answer(action.event)
            elif isinstance(action, MuteMic):
                self._emit("local", {"type": "local.mic.muted",
                                     "reason": getattr(action.reason, "value", action.reason)})
            elif isinstance(action, UnmuteMic):
                self._emit("local", {"type": "local.mic.unmuted"})
            elif isinstance(action, FlushPlayback):
                self._emit("local", {"type": "local.playback.flushed"})
            elif isinstance(action, LocalRecord):
                self._emit("local", action.event)
            elif isinstance(action, RunTool):
                self.runs.append(action)
            elif isinstance(action, AskApproval):
                if self.prompt is not None:
                    self.prompt(action)
                else:  # the runtime's rule: no prompt, no approval
                    self._apply(self.session.handle(ToolApproval(action.call_id, "deny"),
                                                    self.clock))
            elif isinstance(action, ToolRecord):
                self._emit("local", action.event)
            elif isinstance(action, CancelTool):
                self._emit("local", {"type": "test.tool.cancelled", "call_id": action.call_id})
            elif isinstance(action, Notice):
                self._emit("local", {"type": "local.notice", "level": action.level,
                                     "message": action.message})

    def _answer(self, event: dict[str, Any]) -> None:
        """The scripted server's replies to what the client sent."""
        etype = event.get("type")
        if etype == "session.update":
            self.server({"type": "session.updated", "session": event.get("session", {})})
        elif etype == "conversation.item.create":
            item = dict(event["item"])
            item.setdefault("id", f"item_t{next(self._ids)}")
            self.server({"type": "conversation.item.added",
                         "previous_item_id": event.get("previous_item_id"), "item": item})
            self.server({"type": "conversation.item.done", "item": item})
        elif etype == "input_audio_buffer.commit":
            item_id = f"item_p{next(self._ids)}"
            self.server({"type": "input_audio_buffer.committed", "previous_item_id": None,
                         "item_id": item_id})
            self.server({"type": "conversation.item.added", "item": {
                "id": item_id, "type": "message", "status": "completed", "role": "user",
                "content": [{"type": "input_audio", "transcript": None}]}})
            self.server({"type": "conversation.item.input_audio_transcription.completed",
                         "item_id": item_id, "content_index": 0, "transcript": "spoken words"})
        elif etype == "input_audio_buffer.clear":
            self.server({"type": "input_audio_buffer.cleared"})
        elif etype == "response.create":
            n = next(self._ids)
            resp, item_id = f"resp_s{n}", f"item_s{n}"
            words = [w + " " for w in self.reply.split()]
            self.run(response_start(resp, item_id) + deltas(resp, item_id, words)
                     + finish_turn(resp, item_id, self.reply), step=0)
        elif etype == "response.cancel":
            view = self.session.view
            if view.response is not None and view.response.status == "in_progress":
                self.run(cancelled_tail(view.response.id or "", view.entries), step=0)
            else:
                self.server({"type": "error", "error": {
                    "type": "invalid_request_error", "code": "response_cancel_not_active",
                    "message": "Cancellation failed: no active response found"}})


# --- real event shapes (docs/reference-notes.md, "Event ordering", GA) ----------------------


def user_speech(user_item: str, start_ms: int = 1000, end_ms: int = 2600) -> list[dict[str, Any]]:
    """speech_started → speech_stopped → committed → item added (§7.1)."""
    return [
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": start_ms,
         "item_id": user_item},
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": end_ms,
         "item_id": user_item},
        {"type": "input_audio_buffer.committed", "previous_item_id": None, "item_id": user_item},
        {"type": "conversation.item.added", "item": {
            "id": user_item, "type": "message", "status": "completed", "role": "user",
            "content": [{"type": "input_audio", "transcript": None}]}},
    ]


def response_start(resp: str, item: str, previous: str | None = None) -> list[dict[str, Any]]:
    """response.created → output_item.added → item added → content part → playback started."""
    return [
        {"type": "response.created", "response": {"id": resp, "object": "realtime.response",
                                                  "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "response_id": resp, "output_index": 0,
         "item": {"id": item, "type": "message", "status": "in_progress", "role": "assistant",
                  "content": []}},
        {"type": "conversation.item.added", "previous_item_id": previous,
         "item": {"id": item, "type": "message", "status": "in_progress", "role": "assistant",
                  "content": []}},
        {"type": "response.content_part.added", "response_id": resp, "item_id": item,
         "output_index": 0, "content_index": 0, "part": {"type": "audio", "transcript": ""}},
        {"type": "output_audio_buffer.started", "response_id": resp},
    ]


def deltas(resp: str, item: str, words: list[str]) -> list[dict[str, Any]]:
    return [{"type": "response.output_audio_transcript.delta", "response_id": resp,
             "item_id": item, "output_index": 0, "content_index": 0, "delta": w} for w in words]


def user_transcript(user_item: str, text: str) -> dict[str, Any]:
    return {"type": "conversation.item.input_audio_transcription.completed",
            "item_id": user_item, "content_index": 0, "transcript": text}


def response_done(resp: str, status: str = "completed",
                  reason: str | None = None) -> dict[str, Any]:
    details = {"type": status, "reason": reason} if reason else None
    return {"type": "response.done", "response": {"id": resp, "object": "realtime.response",
                                                  "status": status, "status_details": details,
                                                  "output": []}}


def cancelled_tail(resp: str, entries: Any) -> list[dict[str, Any]]:
    """What the server sends when a response is cancelled mid-answer (§7.4, §7.6)."""
    events: list[dict[str, Any]] = []
    for entry in entries:
        if entry.role == "assistant" and entry.status == "streaming":
            events.append({"type": "response.output_item.done", "response_id": resp,
                           "output_index": 0, "item": {
                               "id": entry.id, "type": "message", "status": "incomplete",
                               "role": "assistant",
                               "content": [{"type": "output_audio",
                                            "transcript": entry.text}]}})
    events.append(response_done(resp, "cancelled", "client_cancelled"))
    return events


def finish_turn(resp: str, item: str, text: str) -> list[dict[str, Any]]:
    """The end of a turn: transcript done, item done, response.done, then playback stops."""
    return [
        {"type": "response.output_audio_transcript.done", "response_id": resp, "item_id": item,
         "output_index": 0, "content_index": 0, "transcript": text},
        {"type": "response.content_part.done", "response_id": resp, "item_id": item,
         "output_index": 0, "content_index": 0, "part": {"type": "audio", "transcript": text}},
        {"type": "response.output_item.done", "response_id": resp, "output_index": 0,
         "item": {"id": item, "type": "message", "status": "completed", "role": "assistant",
                  "content": [{"type": "output_audio", "transcript": text}]}},
        response_done(resp),
        {"type": "output_audio_buffer.stopped", "response_id": resp},
    ]


def voice_turn(user_item: str, resp: str, item: str, words: list[str],
               transcript: str) -> list[dict[str, Any]]:
    """A voice turn up to mid-answer, with the user transcript arriving late (§7.1 async)."""
    return (user_speech(user_item) + response_start(resp, item, user_item)
            + deltas(resp, item, words) + [user_transcript(user_item, transcript)])


# --- responses with several items (a preamble, calls, two messages) --------------------------


def message(resp: str, item: str, index: int, text: str, previous: str | None,
            phase: str | None = None) -> list[dict[str, Any]]:
    """One assistant message of a response, added, streamed and done (GA shapes)."""
    body: dict[str, Any] = {"id": item, "type": "message", "status": "in_progress",
                            "role": "assistant", "content": []}
    if phase:
        body["phase"] = phase  # gpt-realtime-2: commentary / final_answer
    done = {**body, "status": "completed",
            "content": [{"type": "output_audio", "transcript": text}]}
    return [
        {"type": "response.output_item.added", "response_id": resp, "output_index": index,
         "item": body},
        {"type": "conversation.item.added", "previous_item_id": previous, "item": body},
        {"type": "response.content_part.added", "response_id": resp, "item_id": item,
         "output_index": index, "content_index": 0, "part": {"type": "audio", "transcript": ""}},
        *[{"type": "response.output_audio_transcript.delta", "response_id": resp,
           "item_id": item, "output_index": index, "content_index": 0, "delta": w + " "}
          for w in text.split()],
        {"type": "response.output_audio_transcript.done", "response_id": resp, "item_id": item,
         "output_index": index, "content_index": 0, "transcript": text},
        {"type": "response.output_item.done", "response_id": resp, "output_index": index,
         "item": done},
        {"type": "conversation.item.done", "item": done},
    ]


def function_call(resp: str, item: str, index: int, name: str, arguments: str, call_id: str,
                  previous: str | None) -> list[dict[str, Any]]:
    """One function_call item of a response, its arguments streamed (GA shapes, §2.1)."""
    added = {"id": item, "type": "function_call", "status": "in_progress", "name": name,
             "call_id": call_id, "arguments": ""}
    done = {**added, "status": "completed", "arguments": arguments}
    return [
        {"type": "response.output_item.added", "response_id": resp, "output_index": index,
         "item": added},
        {"type": "conversation.item.added", "previous_item_id": previous, "item": added},
        {"type": "response.function_call_arguments.delta", "response_id": resp, "item_id": item,
         "output_index": index, "call_id": call_id, "delta": arguments},
        {"type": "response.function_call_arguments.done", "response_id": resp, "item_id": item,
         "output_index": index, "call_id": call_id, "name": name, "arguments": arguments},
        {"type": "response.output_item.done", "response_id": resp, "output_index": index,
         "item": done},
        {"type": "conversation.item.done", "item": done},
    ]


def created(resp: str) -> dict[str, Any]:
    return {"type": "response.created", "response": {"id": resp, "object": "realtime.response",
                                                      "status": "in_progress", "output": []}}


def tool_turn(resp: str, calls: list[tuple[str, str, str]],
              previous: str | None = None) -> list[dict[str, Any]]:
    """A response that only calls tools: ``calls`` are (name, arguments, call_id); item ids are
    ``item_<call_id>``. The calls run when their items complete, concurrently."""
    events = [created(resp)]
    for index, (name, arguments, call_id) in enumerate(calls):
        item = f"item_{call_id}"
        events += function_call(resp, item, index, name, arguments, call_id, previous)
        previous = item
    return [*events, response_done(resp)]
