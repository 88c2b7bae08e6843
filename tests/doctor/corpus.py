"""The doctor's test corpus: realistic Realtime logs with known problems, and how they were made.

Each log is built from the event orderings of ``docs/reference-notes.md``, "Event ordering"
(normal turn, WebRTC playback, barge-in, push-to-talk) in the GA or beta dialect, then written in
one of the formats the doctor reads. ``EXPECTED`` is the exact set of rule ids each log must
trigger. The files in ``logs/`` are committed; regenerate them with
``.venv/bin/python tests/doctor/corpus.py`` after changing a builder here.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from voicechat.eventlog.redact import redact_event  # noqa: E402
from voicechat.protocol.mapping import GA_TO_BETA_SERVER_NAMES  # noqa: E402

LOGS = Path(__file__).resolve().parent / "logs"
START = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
AUDIO_CHUNK = base64.b64encode(bytes(480)).decode()  # 10 ms of 24 kHz pcm16 silence

Event = dict[str, Any]


class Log:
    """Builds one session's events with times, in either dialect."""

    def __init__(self, dialect: str = "ga", webrtc: bool = False) -> None:
        self.dialect = dialect
        self.webrtc = webrtc
        self.t = 0.0
        self.records: list[tuple[float, str, Event]] = []
        #: The app's own lines (no event), for the writers that interleave them.
        self.app_lines: list[tuple[float, str]] = []
        self._server_n = 0
        self._client_n = 0

    # --- primitives -----------------------------------------------------------------------

    def wait(self, seconds: float) -> Log:
        self.t += seconds
        return self

    def server(self, kind: str, **fields: Any) -> Event:
        if self.dialect == "beta" and kind in GA_TO_BETA_SERVER_NAMES and kind != "session.updated":
            kind = GA_TO_BETA_SERVER_NAMES[kind]
        self._server_n += 1
        event = {"type": kind, "event_id": f"event_S{self._server_n:04d}", **fields}
        self.records.append((self.t, "in", event))
        self.t += 0.005
        return event

    def client(self, kind: str, **fields: Any) -> Event:
        self._client_n += 1
        event = {"type": kind, "event_id": f"evt_c{self._client_n:04d}", **fields}
        self.records.append((self.t, "out", event))
        self.t += 0.002
        return event

    def local(self, kind: str, **fields: Any) -> Event:
        event = {"type": kind, **fields}
        self.records.append((self.t, "local", event))
        return event

    def app(self, line: str) -> Log:
        """One line of the app's own logging (``Tag: message``) at the current time."""
        self.app_lines.append((self.t, line))
        return self

    def error(self, code: str | None, message: str, param: str | None = None,
              answers: Event | None = None, kind: str = "invalid_request_error") -> Event:
        return self.server("error", error={
            "type": kind, "code": code, "message": message, "param": param,
            "event_id": answers["event_id"] if answers else None})

    # --- sessions -------------------------------------------------------------------------

    def session_object(self, transcription: str | None = "gpt-4o-mini-transcribe",
                       vad: dict[str, Any] | None = None) -> Event:
        td = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
              "silence_duration_ms": 200, "create_response": True, "interrupt_response": True}
        if vad is not None:
            td = {**td, **vad}
        if self.dialect == "beta":
            return {
                "id": "sess_B1", "object": "realtime.session",
                "model": "gpt-4o-realtime-preview-2024-12-17", "modalities": ["text", "audio"],
                "instructions": "Be brief.", "voice": "alloy", "input_audio_format": "pcm16",
                "output_audio_format": "pcm16",
                "input_audio_transcription": {"model": transcription} if transcription else None,
                "turn_detection": td, "tools": [], "tool_choice": "auto", "temperature": 0.8,
                "max_response_output_tokens": "inf",
            }
        td["idle_timeout_ms"] = None
        return {
            "type": "realtime", "object": "realtime.session", "id": "sess_G1",
            "model": "gpt-realtime", "output_modalities": ["audio"], "instructions": "Be brief.",
            "tools": [], "tool_choice": "auto", "max_output_tokens": "inf", "tracing": None,
            "truncation": "auto", "prompt": None, "expires_at": 1795255200,
            "audio": {
                "input": {"format": {"type": "audio/pcm", "rate": 24000},
                          "transcription": {"model": transcription} if transcription else None,
                          "noise_reduction": None, "turn_detection": td},
                "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy",
                           "speed": 1.0},
            },
            "include": None,
        }

    def session_update_body(self, transcription: str | None, vad: dict[str, Any] | None) -> Event:
        full = self.session_object(transcription, vad)
        if self.dialect == "beta":
            return {k: full[k] for k in ("instructions", "voice", "input_audio_transcription",
                                         "turn_detection")}
        return {"type": "realtime", "instructions": "Be brief.", "audio": {
            "input": {k: full["audio"]["input"][k] for k in ("transcription", "turn_detection")}}}

    def connect(self, transcription: str | None = "gpt-4o-mini-transcribe",
                vad: dict[str, Any] | None = None, update: bool = True) -> Log:
        self.server("session.created", session=self.session_object(None, None))
        if self.dialect == "beta":
            self.server("conversation.created",
                        conversation={"id": "conv_1", "object": "realtime.conversation"})
        self.wait(0.05)
        if update:
            self.client("session.update", session=self.session_update_body(transcription, vad))
            self.wait(0.08)
            self.server("session.updated", session=self.session_object(transcription, vad))
        return self

    # --- turns ----------------------------------------------------------------------------

    def user_speech(self, item: str, start_ms: int, end_ms: int, previous: str | None = None,
                    transcript: str | None = "Hello there.", appends: int = 0) -> Log:
        for _ in range(appends):
            self.client("input_audio_buffer.append", audio=AUDIO_CHUNK)
        self.server("input_audio_buffer.speech_started", audio_start_ms=start_ms, item_id=item)
        self.wait((end_ms - start_ms) / 1000)
        self.server("input_audio_buffer.speech_stopped", audio_end_ms=end_ms, item_id=item)
        self.wait(0.02)
        self.commit_events(item, previous)
        if transcript is not None:
            self.wait(0.3)
            self.server("conversation.item.input_audio_transcription.completed", item_id=item,
                        content_index=0, transcript=transcript,
                        usage={"type": "duration", "seconds": 2})
        return self

    def commit_events(self, item: str, previous: str | None) -> None:
        self.server("input_audio_buffer.committed", previous_item_id=previous, item_id=item)
        user_item = {"id": item, "type": "message", "status": "completed", "role": "user",
                     "content": [{"type": "input_audio", "transcript": None}]}
        if self.dialect == "beta":
            user_item["object"] = "realtime.item"
            self.server("conversation.item.created", previous_item_id=previous, item=user_item)
        else:
            self.server("conversation.item.added", previous_item_id=previous, item=user_item)
            self.server("conversation.item.done", previous_item_id=previous, item=user_item)

    def response(self, rid: str, item: str, text: str = "Hi! How can I help you today?",
                 previous: str | None = None, deltas: int | None = None,
                 playback_s: float = 2.0, status: str = "completed", reason: str | None = None,
                 stop_playback: bool = True, details: dict[str, Any] | None = None) -> Log:
        """A voice response (§7.1), with the WebRTC output buffer lifecycle (§7.7) if WebRTC."""
        self.response_start(rid, item, previous)
        words = text.split(" ")
        count = len(words) if deltas is None else deltas
        for i in range(count):
            self.server("response.output_audio_transcript.delta", response_id=rid, item_id=item,
                        output_index=0, content_index=0,
                        delta=(words[i] if i < len(words) else "") + " ")
            if not self.webrtc:
                self.server("response.output_audio.delta", response_id=rid, item_id=item,
                            output_index=0, content_index=0, delta=AUDIO_CHUNK)
            self.wait(0.04)
        return self.response_end(rid, item, text, playback_s=playback_s, status=status,
                                 reason=reason, stop_playback=stop_playback, details=details)

    def response_start(self, rid: str, item: str, previous: str | None = None) -> None:
        self.server("response.created", response={
            "id": rid, "object": "realtime.response", "status": "in_progress",
            "status_details": None, "output": [], "conversation_id": "conv_1", "usage": None,
            "metadata": None})
        assistant = {"id": item, "type": "message", "status": "in_progress", "role": "assistant",
                     "content": []}
        self.server("response.output_item.added", response_id=rid, output_index=0,
                    item=assistant)
        if self.dialect == "beta":
            self.server("conversation.item.created", previous_item_id=previous, item=assistant)
        else:
            self.server("conversation.item.added", previous_item_id=previous, item=assistant)
        self.server("response.content_part.added", response_id=rid, item_id=item,
                    output_index=0, content_index=0, part={"type": "audio", "transcript": ""})
        if self.webrtc:
            self.server("output_audio_buffer.started", response_id=rid)

    def response_end(self, rid: str, item: str, text: str, playback_s: float = 2.0,
                     status: str = "completed", reason: str | None = None,
                     stop_playback: bool = True, details: dict[str, Any] | None = None) -> Log:
        part_type = "audio" if self.dialect == "beta" else "output_audio"
        if status == "completed":
            if not self.webrtc:
                self.server("response.output_audio.done", response_id=rid, item_id=item,
                            output_index=0, content_index=0)
            self.server("response.output_audio_transcript.done", response_id=rid, item_id=item,
                        output_index=0, content_index=0, transcript=text)
            self.server("response.content_part.done", response_id=rid, item_id=item,
                        output_index=0, content_index=0,
                        part={"type": "audio", "transcript": text})
        done_item = {"id": item, "type": "message",
                     "status": "completed" if status == "completed" else "incomplete",
                     "role": "assistant", "content": [{"type": part_type, "transcript": text}]}
        self.server("response.output_item.done", response_id=rid, output_index=0,
                    item=done_item)
        if self.dialect == "ga":
            self.server("conversation.item.done", item=done_item)
        status_details = details
        if reason is not None:
            status_details = {"type": status, "reason": reason}
        self.server("response.done", response={
            "id": rid, "object": "realtime.response", "status": status,
            "status_details": status_details, "output": [done_item],
            "conversation_id": "conv_1",
            "usage": {"total_tokens": 120, "input_tokens": 80, "output_tokens": 40}})
        self.server("rate_limits.updated", rate_limits=[
            {"name": "requests", "limit": 1000, "remaining": 999, "reset_seconds": 0.06},
            {"name": "tokens", "limit": 40000, "remaining": 39880, "reset_seconds": 0.18}])
        if self.webrtc and stop_playback and status == "completed":
            self.wait(playback_s)
            self.server("output_audio_buffer.stopped", response_id=rid)
        return self

    # --- tool turns (realtime-tools.md §2, §3, §5) -----------------------------------------

    def response_created(self, rid: str) -> Log:
        self.server("response.created", response={
            "id": rid, "object": "realtime.response", "status": "in_progress",
            "status_details": None, "output": [], "conversation_id": "conv_1", "usage": None,
            "metadata": None})
        return self

    def item_events(self, item: Event, previous: str | None, done: bool) -> None:
        """``conversation.item.added`` (+ ``.done`` in GA; beta: ``.created`` once)."""
        if self.dialect == "beta":
            if not done:
                self.server("conversation.item.added", previous_item_id=previous,
                            item={**item, "object": "realtime.item"})
        else:
            self.server("conversation.item.done" if done else "conversation.item.added",
                        previous_item_id=previous, item=item)

    def call(self, rid: str, item: str, call_id: str, name: str, arguments: str,
             index: int = 0, previous: str | None = None, complete: bool = True) -> Event:
        """One function call streamed in response ``rid`` (§2.1); the finished item."""
        call = {"id": item, "type": "function_call", "status": "in_progress", "name": name,
                "call_id": call_id, "arguments": ""}
        self.server("response.output_item.added", response_id=rid, output_index=index,
                    item=call)
        self.item_events(call, previous, done=False)
        half = len(arguments) // 2
        for part in (arguments[:half], arguments[half:]):
            self.server("response.function_call_arguments.delta", response_id=rid,
                        item_id=item, output_index=index, call_id=call_id, delta=part)
            self.wait(0.03)
        self.server("response.function_call_arguments.done", response_id=rid, item_id=item,
                    output_index=index, call_id=call_id, name=name, arguments=arguments)
        finished = {**call, "status": "completed" if complete else "incomplete",
                    "arguments": arguments}
        if complete:
            self.server("response.output_item.done", response_id=rid, output_index=index,
                        item=finished)
            self.item_events(finished, previous, done=True)
        return finished

    def spoken(self, rid: str, item: str, text: str, previous: str | None = None) -> Event:
        """A spoken preamble as output 0 of response ``rid`` (audio deltas on WebSocket)."""
        message = {"id": item, "type": "message", "status": "in_progress",
                   "role": "assistant", "content": []}
        self.server("response.output_item.added", response_id=rid, output_index=0,
                    item=message)
        self.item_events(message, previous, done=False)
        if self.webrtc:
            self.server("output_audio_buffer.started", response_id=rid)
        for word in text.split(" "):
            self.server("response.output_audio_transcript.delta", response_id=rid,
                        item_id=item, output_index=0, content_index=0, delta=word + " ")
            if not self.webrtc:
                self.server("response.output_audio.delta", response_id=rid, item_id=item,
                            output_index=0, content_index=0, delta=AUDIO_CHUNK)
            self.wait(0.05)
        part = "audio" if self.dialect == "beta" else "output_audio"
        finished = {**message, "status": "completed",
                    "content": [{"type": part, "transcript": text}]}
        self.server("response.output_item.done", response_id=rid, output_index=0,
                    item=finished)
        self.item_events(finished, previous, done=True)
        return finished

    def response_done(self, rid: str, output: list[Event], status: str = "completed",
                      reason: str | None = None) -> Log:
        self.server("response.done", response={
            "id": rid, "object": "realtime.response", "status": status,
            "status_details": {"type": status, "reason": reason} if reason else None,
            "output": output, "conversation_id": "conv_1",
            "usage": {"total_tokens": 160, "input_tokens": 120, "output_tokens": 40}})
        return self

    def tool_output(self, call_id: str, output: str, item: str,
                    previous: str | None = None) -> Event:
        """The client answers a call (§3 step 1) and the server takes it (step 2)."""
        sent = self.client("conversation.item.create", previous_item_id=previous, item={
            "type": "function_call_output", "call_id": call_id, "output": output})
        self.wait(0.06)
        taken = {"id": item, "type": "function_call_output", "call_id": call_id,
                 "output": output, "status": "completed"}
        self.item_events(taken, previous, done=False)
        self.item_events(taken, previous, done=True)
        return sent

    # --- writers --------------------------------------------------------------------------

    def write_ours(self, path: Path, torn: bool = False) -> None:
        lines = []
        for t, direction, event in self.records:
            ts = START + timedelta(seconds=t)
            stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
            lines.append(json.dumps({"t": round(t, 6), "ts": stamp, "dir": direction,
                                     "event": redact_event(event)}, separators=(",", ":")))
        text = "\n".join(lines) + "\n"
        if torn:
            text += lines[-1][: len(lines[-1]) // 2]
        path.write_text(text)

    def write_bare(self, path: Path) -> None:
        path.write_text("".join(json.dumps(e) + "\n" for _, _, e in self.records))

    def write_array(self, path: Path) -> None:
        path.write_text(json.dumps([e for _, _, e in self.records], indent=1) + "\n")

    def write_logcat(self, path: Path) -> None:
        out = ["--------- beginning of main",
               "11-21 09:59:59.870  4321  4321 I ActivityManager: Start proc 4321:com.example"]
        for t, direction, event in self.records:
            ts = START + timedelta(seconds=t)
            stamp = ts.strftime("%m-%d %H:%M:%S.") + f"{ts.microsecond // 1000:03d}"
            arrow = "<<" if direction == "in" else ">>"
            out.append(f"{stamp}  4321  4390 D RealtimeClient: {arrow} {json.dumps(event)}")
            if event["type"] == "response.done":
                out.append(f"{stamp}  4321  4391 I AudioTrack: flush pending frames")
        path.write_text("\n".join(out) + "\n")

    def write_console(self, path: Path, pretty_every: int = 5) -> None:
        out = ["Navigated to http://localhost:5173/", "[vite] connected."]
        for n, (t, direction, event) in enumerate(self.records):
            ts = START + timedelta(seconds=t)
            stamp = ts.strftime("%H:%M:%S.") + f"{ts.microsecond // 1000:03d}"
            verb = "received" if direction == "in" else "sent"
            if n % pretty_every == 0:
                out.append(f"[{stamp}] realtime.js:88 {verb} {json.dumps(event, indent=2)}")
            else:
                out.append(f"[{stamp}] realtime.js:88 {verb} {json.dumps(event)}")
        out.append("realtime.js:120 peer connection closed")
        path.write_text("\n".join(out) + "\n")

    def write_android(self, path: Path) -> None:
        """An Android WebRTC app's log: ``[date time] L/Tag: message``, the data channel's
        events inline, the app's own lines (:meth:`app`) between them at their times."""
        rows: list[tuple[float, int, str]] = []
        for n, (t, direction, event) in enumerate(self.records):
            verb = "onMessage" if direction == "in" else "send"
            rows.append((t, n, f"D/RealtimeDataChannel: {verb}: {json.dumps(event)}"))
        rows += [(t, len(self.records) + n, line) for n, (t, line) in enumerate(self.app_lines)]
        out = []
        for t, _, line in sorted(rows):
            ts = START + timedelta(seconds=t)
            stamp = ts.strftime("%Y-%m-%d %H:%M:%S.") + f"{ts.microsecond // 1000:03d}"
            out.append(f"[{stamp}] {line}")
        path.write_text("\n".join(out) + "\n")

    def write_prefixed(self, path: Path) -> None:
        out = []
        for t, direction, event in self.records:
            ts = START + timedelta(seconds=t)
            stamp = ts.strftime("%Y-%m-%d %H:%M:%S,") + f"{ts.microsecond // 1000:03d}"
            verb = "recv" if direction == "in" else "send"
            out.append(f"{stamp} INFO realtime.client: {verb} {json.dumps(event)}")
            if event["type"] == "session.created":
                out.append(f"{stamp} DEBUG urllib3: Starting new HTTPS connection (1): "
                           "api.example.com:443")
        path.write_text("\n".join(out) + "\n")


# --- the corpus -------------------------------------------------------------------------------


def _two_turns(log: Log, webrtc_gap: float = 1.5) -> Log:
    log.wait(1.0).user_speech("item_U1", 1200, 2900, previous=None, transcript="What time is it?")
    log.response("resp_1", "item_A1", "It is ten in the morning.", previous="item_U1")
    log.wait(webrtc_gap).user_speech("item_U2", 6800, 8400, previous="item_A1",
                                     transcript="Thanks, bye.")
    log.response("resp_2", "item_A2", "You are welcome. Goodbye!", previous="item_U2")
    return log


def clean_ga_ws_ours(path: Path) -> Log:
    log = Log("ga")
    log.local("local.transport.state", state="connecting")
    log.connect()
    log.local("local.transport.state", state="connected")
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2500, appends=3, transcript="What is the weather?")
    log.response("resp_1", "item_A1", "I cannot check the weather, sorry.", previous="item_U1")
    log.local("local.playback.started")
    log.local("local.mic.muted", reason="playback")
    log.wait(1.8)
    log.local("local.playback.drained")
    log.wait(0.4)
    log.local("local.mic.unmuted")
    log.wait(2.0)
    log.user_speech("item_U2", 6100, 7300, previous="item_A1", appends=3, transcript="Okay.")
    log.response("resp_2", "item_A2", "Anything else?", previous="item_U2")
    log.local("local.playback.started")
    log.local("local.mic.muted", reason="playback")
    log.wait(1.0)
    log.local("local.playback.drained")
    log.wait(0.4)
    log.local("local.mic.unmuted")
    log.wait(1.0)
    log.local("local.key", action="quit")
    log.local("local.transport.state", state="closed")
    log.write_ours(path)
    return log


def clean_beta_ws_bare(path: Path) -> Log:
    log = Log("beta")
    log.connect(transcription="whisper-1")
    _two_turns(log)
    log.write_bare(path)
    return log


def clean_ga_webrtc_logcat(path: Path) -> Log:
    log = Log("ga", webrtc=True)
    log.connect()
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="Tell me a long story.")
    # a real barge-in, 3 s into playback (§7.5): not an echo
    log.response_start("resp_1", "item_A1", previous="item_U1")
    for word in ["Once", "upon", "a", "time", "there", "was", "a", "small", "fox", "who", "lived"]:
        log.server("response.output_audio_transcript.delta", response_id="resp_1",
                   item_id="item_A1", output_index=0, content_index=0, delta=word + " ")
        log.wait(0.05)
    log.response_end("resp_1", "item_A1", "Once upon a time there was a small fox who lived",
                     stop_playback=False)
    log.wait(2.4)
    log.server("input_audio_buffer.speech_started", audio_start_ms=6900, item_id="item_U2")
    log.server("output_audio_buffer.cleared", response_id="resp_1")
    log.server("conversation.item.truncated", item_id="item_A1", content_index=0,
               audio_end_ms=3100)
    log.wait(1.2)
    log.server("input_audio_buffer.speech_stopped", audio_end_ms=8100, item_id="item_U2")
    log.commit_events("item_U2", "item_A1")
    log.server("conversation.item.input_audio_transcription.completed", item_id="item_U2",
               content_index=0, transcript="Stop, a shorter one please.",
               usage={"type": "duration", "seconds": 1})
    log.response("resp_2", "item_A2", "A fox found a hat. The end.", previous="item_U2")
    log.write_logcat(path)
    return log


def clean_beta_ptt_array(path: Path) -> Log:
    log = Log("beta")
    log.connect(update=False)
    log.client("session.update", session={"turn_detection": None,
                                          "input_audio_transcription": {"model": "whisper-1"}})
    session = log.session_object("whisper-1")
    session["turn_detection"] = None
    log.server("session.updated", session=session)
    log.wait(1.0)
    log.client("input_audio_buffer.clear")
    log.server("input_audio_buffer.cleared")
    for _ in range(5):
        log.client("input_audio_buffer.append", audio=AUDIO_CHUNK)
        log.wait(0.2)
    commit = log.client("input_audio_buffer.commit")
    del commit
    log.commit_events("item_U1", None)
    log.client("response.create")
    log.response("resp_1", "item_A1", "Push to talk works.", previous="item_U1")
    log.server("conversation.item.input_audio_transcription.completed", item_id="item_U1",
               content_index=0, transcript="Testing push to talk.",
               usage={"type": "duration", "seconds": 1})
    log.write_array(path)
    return log


def clean_ga_text_console(path: Path) -> Log:
    log = Log("ga", webrtc=True)
    log.connect()
    log.wait(2.0)
    item = {"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "Say {hi} in \"quotes\"."}]}
    log.client("conversation.item.create", item=item)
    log.server("conversation.item.added", previous_item_id=None,
               item={**item, "id": "item_T1", "status": "completed"})
    log.server("conversation.item.done", previous_item_id=None,
               item={**item, "id": "item_T1", "status": "completed"})
    log.client("response.create")
    log.response("resp_1", "item_A1", "\"Hi\" {in braces}.", previous="item_T1")
    log.wait(2.0)
    log.user_speech("item_U2", 9000, 10400, previous="item_A1", transcript="Nice.")
    log.response("resp_2", "item_A2", "Thank you!", previous="item_U2")
    log.write_console(path)
    return log


def invalid_param_ga_ours(path: Path) -> Log:
    log = Log("ga")
    log.server("session.created", session=log.session_object(None))
    bad = log.client("session.update", session={
        "type": "realtime",
        "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.6,
                                               "max_speech_ms": 1200}}}})
    log.error("unknown_parameter",
              "Unknown parameter: 'session.audio.input.turn_detection.max_speech_ms'.",
              "session.audio.input.turn_detection.max_speech_ms", answers=bad)
    bad2 = log.client("session.update", session={"type": "realtime",
                                                 "audio": {"input": {"format": "pcm16"}}})
    log.error("invalid_type", "Invalid type for 'session.audio.input.format': expected an object,"
              " but got a string instead.", "session.audio.input.format", answers=bad2)
    log.client("session.update", session=log.session_update_body("gpt-4o-mini-transcribe", None))
    log.server("session.updated", session=log.session_object("gpt-4o-mini-transcribe"))
    _two_turns(log)
    log.write_ours(path)
    return log


def dialect_beta_client_ga_server_prefixed(path: Path) -> Log:
    log = Log("ga")
    log.server("session.created", session=log.session_object(None))
    beta = Log("beta")
    body = beta.session_update_body("whisper-1", None)
    body["modalities"] = ["text", "audio"]
    update = log.client("session.update", session=body)
    log.error("missing_required_parameter", "Missing required parameter: 'session.type'.",
              "session.type", answers=update)
    update2 = log.client("session.update", session={"type": "realtime", **body})
    log.error("unknown_parameter", "Unknown parameter: 'session.modalities'.",
              "session.modalities", answers=update2)
    log.write_prefixed(path)
    return log


def dialect_ga_client_beta_server_array(path: Path) -> Log:
    log = Log("beta")
    log.server("session.created", session=log.session_object(None))
    log.server("conversation.created",
               conversation={"id": "conv_1", "object": "realtime.conversation"})
    ga = Log("ga")
    update = log.client("session.update", session=ga.session_update_body("whisper-1", None))
    log.error("unknown_parameter", "Unknown parameter: 'session.type'.", "session.type",
              answers=update)
    log.write_array(path)
    return log


def mic_stuck_webrtc_ours(path: Path) -> Log:
    log = Log("ga", webrtc=True)
    log.connect()
    log.wait(1.0).user_speech("item_U1", 1000, 2400, transcript="Hi.")
    log.response_start("resp_1", "item_A1", previous="item_U1")
    log.local("local.mic.muted", reason="playback")
    for word in ["Hello!", "What", "can", "I", "do", "for", "you?"]:
        log.server("response.output_audio_transcript.delta", response_id="resp_1",
                   item_id="item_A1", output_index=0, content_index=0, delta=word + " ")
        log.wait(0.05)
    log.response_end("resp_1", "item_A1", "Hello! What can I do for you?", playback_s=1.6)
    # the client waited for output_audio_buffer.cleared, which never comes after a full playback
    log.wait(8.0)
    log.local("local.key", action="talk")
    log.wait(6.0)
    log.local("local.notice", level="warning", message="no speech detected")
    log.wait(6.0)
    log.local("local.transport.state", state="closed")
    log.write_ours(path)
    return log


def mic_stuck_webrtc_console(path: Path) -> Log:
    log = Log("ga", webrtc=True)
    log.connect()
    _two_turns(log)
    log.wait(24.0)
    item = {"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "hello? can you hear me?"}]}
    log.client("conversation.item.create", item=item)
    log.server("conversation.item.added", previous_item_id="item_A2",
               item={**item, "id": "item_T3", "status": "completed"})
    log.client("response.create")
    log.response("resp_3", "item_A3", "Yes, I can read you.", previous="item_T3")
    log.write_console(path, pretty_every=7)
    return log


def mic_stuck_android_webrtc(path: Path) -> Log:
    """The seed's own case: an Android WebRTC app mutes its mic at output_audio_buffer.started
    and waits for .cleared; .stopped arrives, and the app logs on for 50 s (no user audio
    reaches the server) until the peer connection drops. Its last *event* is the .stopped: only
    the app's own timestamped lines show the session stayed open."""
    log = Log("ga", webrtc=True)
    log.app("I/VoiceActivity: onCreate, connecting")
    log.wait(0.3).app("I/PeerConnection: onIceConnectionChange CONNECTED")
    log.server("session.created", session=log.session_object(None))
    bad = log.client("session.update", session={
        "type": "realtime", "audio": {"output": {"voice": "marin", "speed": 2.0}}})
    log.error("decimal_above_max_value", "Invalid 'session.audio.output.speed': decimal above "
              "maximum value. Expected a value <= 1.5, but got 2.0 instead.",
              "session.audio.output.speed", answers=bad)
    log.wait(1.0).user_speech("item_U1", 1300, 2900, transcript="What's on my calendar?")
    log.response_start("resp_1", "item_A1", previous="item_U1")
    log.app("I/MicController: assistant speaking: mic muted until output_audio_buffer.cleared")
    for word in ["You", "have", "a", "dentist", "appointment", "at", "three."]:
        log.server("response.output_audio_transcript.delta", response_id="resp_1",
                   item_id="item_A1", output_index=0, content_index=0, delta=word + " ")
        log.wait(0.05)
    log.response_end("resp_1", "item_A1", "You have a dentist appointment at three.",
                     playback_s=2.4)
    log.app("D/MicController: output_audio_buffer.stopped: no handler, mic stays muted")
    for _ in range(10):  # the app idles, logging, with the mic muted
        log.wait(5.0).app("D/AudioRecord: mic muted, 0 frames sent")
    log.wait(0.4).app("W/PeerConnection: onIceConnectionChange DISCONNECTED")
    log.wait(0.1).app("E/VoiceActivity: peer connection dropped, session over")
    log.write_android(path)
    return log


def short_segments_ga_bare(path: Path) -> Log:
    log = Log("ga")
    log.connect(vad={"threshold": 0.3, "silence_duration_ms": 120})
    log.wait(1.0)
    previous = None
    for n, (start, end) in enumerate([(1000, 1180), (1900, 2120), (2600, 2860)], start=1):
        log.user_speech(f"item_U{n}", start, end, previous=previous, transcript="")
        previous = f"item_U{n}"
        log.wait(0.3)
    log.user_speech("item_U4", 4000, 5600, previous=previous, transcript="What did I say?")
    log.response("resp_1", "item_A1", "I only heard short noises.", previous="item_U4")
    log.write_bare(path)
    return log


def transcription_off_beta_prefixed(path: Path) -> Log:
    log = Log("beta")
    log.connect(transcription=None)
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript=None)
    log.response("resp_1", "item_A1", "Sure, here it is.", previous="item_U1")
    log.wait(1.0).user_speech("item_U2", 6000, 7400, previous="item_A1", transcript=None)
    log.response("resp_2", "item_A2", "Done.", previous="item_U2")
    log.write_prefixed(path)
    return log


def transcription_failed_ga_ours(path: Path) -> Log:
    log = Log("ga")
    log.connect(transcription="my-transcribe-deployment")
    for n, (start, end) in enumerate([(1000, 2600), (6000, 7600)], start=1):
        log.wait(1.0).user_speech(f"item_U{n}", start, end, transcript=None)
        log.server("conversation.item.input_audio_transcription.failed", item_id=f"item_U{n}",
                   content_index=0, error={
                       "type": "server_error", "code": None, "param": None,
                       "message": f"Input transcription failed for item 'item_U{n}'."})
        log.response(f"resp_{n}", f"item_A{n}", "Okay, noted.", previous=f"item_U{n}")
    log.write_ours(path)
    return log


def client_cancel_ga_ours(path: Path) -> Log:
    log = Log("ga")
    log.connect()
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="Tell me a joke.")
    log.response_start("resp_1", "item_A1", previous="item_U1")
    log.wait(0.03)
    log.client("response.cancel")
    log.response_end("resp_1", "item_A1", "", status="cancelled", reason="client_cancelled")
    log.wait(1.5)
    log.client("response.create")
    log.response_start("resp_2", "item_A2", previous="item_U1")
    log.wait(0.02)
    log.client("session.update", session={"type": "realtime", "instructions": "Be funny."})
    log.server("session.updated", session=log.session_object("gpt-4o-mini-transcribe"))
    log.response_end("resp_2", "item_A2", "", status="cancelled", reason="client_cancelled")
    log.write_ours(path)
    return log


def self_interrupt_webrtc_logcat(path: Path) -> Log:
    log = Log("ga", webrtc=True)
    log.connect(vad={"threshold": 0.4})
    previous = None
    for n in (1, 2):
        log.wait(1.0).user_speech(f"item_U{n}", n * 10000, n * 10000 + 1500, previous=previous,
                                  transcript="Tell me about the weather.")
        log.response_start(f"resp_{n}", f"item_A{n}", previous=f"item_U{n}")
        for word in ["The", "weather", "today"]:
            log.server("response.output_audio_transcript.delta", response_id=f"resp_{n}",
                       item_id=f"item_A{n}", output_index=0, content_index=0, delta=word + " ")
            log.wait(0.05)
        log.wait(0.15)
        echo = f"item_E{n}"
        log.server("input_audio_buffer.speech_started", audio_start_ms=n * 10000 + 2100,
                   item_id=echo)
        log.server("output_audio_buffer.cleared", response_id=f"resp_{n}")
        log.response_end(f"resp_{n}", f"item_A{n}", "The weather today", status="cancelled",
                         reason="turn_detected")
        log.wait(0.9)
        log.server("input_audio_buffer.speech_stopped", audio_end_ms=n * 10000 + 3000,
                   item_id=echo)
        log.commit_events(echo, f"item_A{n}")
        log.server("conversation.item.input_audio_transcription.completed", item_id=echo,
                   content_index=0, transcript="The weather today",
                   usage={"type": "duration", "seconds": 1})
        log.response(f"resp_{n}b", f"item_B{n}", "Sorry, go on.", previous=echo)
        previous = f"item_B{n}"
    log.write_logcat(path)
    return log


def concurrent_beta_bare(path: Path) -> Log:
    log = Log("beta")
    log.connect(transcription="whisper-1")
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="What's new?")
    log.response_start("resp_1", "item_A1", previous="item_U1")
    create = log.client("response.create")  # the client also creates one after speech_stopped
    log.error("conversation_already_has_active_response",
              "Conversation already has an active response in progress: resp_1. Wait until the "
              "response is finished before creating a new one.", answers=create)
    for word in ["Not", "much,", "and", "you?"]:
        log.server("response.output_audio_transcript.delta", response_id="resp_1",
                   item_id="item_A1", output_index=0, content_index=0, delta=word + " ")
        log.server("response.output_audio.delta", response_id="resp_1", item_id="item_A1",
                   output_index=0, content_index=0, delta=AUDIO_CHUNK)
    log.response_end("resp_1", "item_A1", "Not much, and you?")
    log.write_bare(path)
    return log


def cancel_without_response_ga_ours(path: Path) -> Log:
    log = Log("ga")
    log.connect()
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="Read me the news.")
    log.response("resp_1", "item_A1", "Here are today's top stories in brief.",
                 previous="item_U1")
    log.local("local.playback.started")
    log.wait(2.5)
    log.server("input_audio_buffer.speech_started", audio_start_ms=6000, item_id="item_U2")
    log.local("local.playback.drained")
    cancel = log.client("response.cancel")
    log.error("response_cancel_not_active", "Cancellation failed: no active response found",
              answers=cancel)
    log.client("conversation.item.truncate", item_id="item_A1", content_index=0,
               audio_end_ms=2400)
    log.server("conversation.item.truncated", item_id="item_A1", content_index=0,
               audio_end_ms=2400)
    log.wait(1.0)
    log.server("input_audio_buffer.speech_stopped", audio_end_ms=7200, item_id="item_U2")
    log.commit_events("item_U2", "item_A1")
    log.server("conversation.item.input_audio_transcription.completed", item_id="item_U2",
               content_index=0, transcript="Stop.", usage={"type": "duration", "seconds": 1})
    log.response("resp_2", "item_A2", "Okay.", previous="item_U2")
    log.write_ours(path)
    return log


def commit_small_beta_array(path: Path) -> Log:
    log = Log("beta")
    log.connect(update=False)
    log.client("session.update", session={"turn_detection": None,
                                          "input_audio_transcription": {"model": "whisper-1"}})
    session = log.session_object("whisper-1")
    session["turn_detection"] = None
    log.server("session.updated", session=session)
    log.wait(1.0)
    log.client("input_audio_buffer.clear")
    log.server("input_audio_buffer.cleared")
    log.client("input_audio_buffer.append", audio=base64.b64encode(bytes(1920)).decode())
    commit = log.client("input_audio_buffer.commit")
    log.error("input_audio_buffer_commit_empty",
              "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
              "audio, but buffer only has 40.00ms of audio.", answers=commit)
    log.write_array(path)
    return log


def truncate_range_ga_console(path: Path) -> Log:
    log = Log("ga")
    log.connect()
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="Count to five.")
    log.response("resp_1", "item_A1", "One, two, three, four, five.", previous="item_U1")
    log.wait(4.0)
    log.server("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_U2")
    truncate = log.client("conversation.item.truncate", item_id="item_A1", content_index=0,
                          audio_end_ms=5200)
    log.error("invalid_value", "Audio content of 3200ms is already shorter than 5200ms",
              "audio_end_ms", answers=truncate)
    log.wait(1.0)
    log.server("input_audio_buffer.speech_stopped", audio_end_ms=10400, item_id="item_U2")
    log.commit_events("item_U2", "item_A1")
    log.server("conversation.item.input_audio_transcription.completed", item_id="item_U2",
               content_index=0, transcript="Again.", usage={"type": "duration", "seconds": 1})
    log.response("resp_2", "item_A2", "One, two.", previous="item_U2")
    log.write_console(path)
    return log


def session_expired_ga_ours(path: Path) -> Log:
    log = Log("ga")
    log.connect()
    _two_turns(log)
    n = 2
    while log.t < 3570:  # an hour-long session, a question every ten minutes
        n += 1
        log.wait(min(600.0, 3575 - log.t))
        start = int(log.t * 1000)
        log.user_speech(f"item_U{n}", start, start + 1500, previous=f"item_A{n - 1}",
                        transcript="And then?")
        log.response(f"resp_{n}", f"item_A{n}", "Then the story goes on.",
                     previous=f"item_U{n}")
    log.wait(3600.0 - log.t)
    log.error("session_expired", "Your session hit the maximum duration of 60 minutes.")
    log.local("local.transport.state", state="closed")
    log.write_ours(path)
    return log


def rate_limited_ga_bare(path: Path) -> Log:
    log = Log("ga")
    log.connect()
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="Hello?")
    log.server("rate_limits.updated", rate_limits=[
        {"name": "requests", "limit": 100, "remaining": 0, "reset_seconds": 12.5},
        {"name": "tokens", "limit": 40000, "remaining": 0, "reset_seconds": 30.0}])
    log.response_start("resp_1", "item_A1", previous="item_U1")
    log.response_end("resp_1", "item_A1", "", status="failed", details={
        "type": "failed", "error": {"type": "rate_limit_error", "code": "rate_limit_exceeded"}})
    log.write_bare(path)
    return log


def several_problems_beta_ours(path: Path) -> Log:
    log = Log("beta")
    log.connect(transcription="whisper-1")
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="Hi.")
    log.response_start("resp_1", "item_A1", previous="item_U1")
    create = log.client("response.create")
    log.error("conversation_already_has_active_response",
              "Conversation already has an active response in progress: resp_1. Wait until the "
              "response is finished before creating a new one.", answers=create)
    for word in ["Hello,", "nice", "to", "meet", "you."]:
        log.server("response.output_audio_transcript.delta", response_id="resp_1",
                   item_id="item_A1", output_index=0, content_index=0, delta=word + " ")
        log.server("response.output_audio.delta", response_id="resp_1", item_id="item_A1",
                   output_index=0, content_index=0, delta=AUDIO_CHUNK)
        log.wait(0.05)
    log.response_end("resp_1", "item_A1", "Hello, nice to meet you.")
    log.wait(3.0)
    cancel = log.client("response.cancel")
    log.error("response_cancel_not_active", "Cancellation failed: no active response found",
              answers=cancel)
    log.client("input_audio_buffer.append", audio=base64.b64encode(bytes(2400)).decode())
    commit = log.client("input_audio_buffer.commit")
    log.error("input_audio_buffer_commit_empty",
              "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
              "audio, but buffer only has 50.00ms of audio.", answers=commit)
    log.write_ours(path)
    return log


def torn_clean_ours(path: Path) -> Log:
    log = Log("ga")
    log.connect()
    _two_turns(log)
    log.write_ours(path, torn=True)
    return log


def server_silent_webrtc_ours(path: Path) -> Log:
    """Issue 14: the WebRTC server is killed after the first answer; the client shows
    "connected" with the mic live for 31 s, until ICE's consent checks fail."""
    log = Log("ga", webrtc=True)
    log.local("local.mic.source", source="default input device")
    log.local("local.transport.state", state="connecting", detail="WebRTC to "
              "http://127.0.0.1:8765/v1/realtime/calls")
    log.connect()
    log.local("local.transport.state", state="connected", detail="WebRTC call rtc_1")
    log.wait(1.0).user_speech("item_U1", 1000, 2400, transcript="What time is it?")
    log.response_start("resp_1", "item_A1", previous="item_U1")
    log.local("local.mic.muted", reason="playback")
    log.response_end("resp_1", "item_A1", "It is ten in the morning.", playback_s=1.8)
    log.wait(0.4)
    log.local("local.mic.unmuted")
    log.wait(31.0)  # five questions asked into nothing
    log.local("local.transport.state", state="failed", detail="ICE/DTLS connection failed")
    log.local("local.transport.state", state="reconnecting",
              detail="ICE/DTLS connection failed; attempt 1 in 0.5 s")
    log.write_ours(path)
    return log


def server_silent_ws_ours(path: Path) -> Log:
    """A WebSocket server that froze (the socket stays open): appends go out for 20 s with
    nothing back, until TCP gives up."""
    log = Log("ga")
    log.local("local.transport.state", state="connecting")
    log.connect()
    log.local("local.transport.state", state="connected", detail="WebSocket")
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2500, appends=3, transcript="Hello?")
    log.response("resp_1", "item_A1", "Hello! How can I help?", previous="item_U1")
    for _ in range(200):  # 20 s of mic audio, 100 ms per append
        log.client("input_audio_buffer.append", audio=AUDIO_CHUNK)
        log.wait(0.098)
    log.local("local.transport.state", state="closed",
              detail="socket error: Connection timed out (code 1006)")
    log.write_ours(path)
    return log

def _speech_to_the_end(log: Log, item: str) -> None:
    """A question whose audio stops with its last word: appends while the user speaks, the
    server hears the speech start, and then no more audio (the shape of issue 36, item 2,
    recorded from our client before its file mic ended in silence)."""
    for index in range(24):  # 2.4 s of speech, 100 ms per append
        log.client("input_audio_buffer.append", audio=AUDIO_CHUNK)
        if index == 3:
            log.server("input_audio_buffer.speech_started", audio_start_ms=500, item_id=item)
        log.wait(0.1)


def speech_never_ended_ws_ours(path: Path) -> Log:
    """Our WebSocket client with a file mic whose speech runs to its last sample."""
    log = Log("ga")
    log.local("local.transport.state", state="connecting")
    log.connect()
    log.local("local.transport.state", state="connected", detail="WebSocket")
    log.local("local.mic.source", source="file no_tail.wav (2.9 s)")
    log.wait(0.5)
    _speech_to_the_end(log, "item_U1")
    log.local("local.mic.ended")
    log.wait(2.6)
    log.local("local.notice", level="info", message="end of the mic file and of the reply")
    log.local("local.transport.state", state="closed")
    log.write_ours(path)
    return log


def speech_never_ended_beta_prefixed(path: Path) -> Log:
    """Another app's text log (ISO timestamps, events inline): its buffer played as the mic ran
    out mid-turn; the session stayed open 8 s more with nothing sent."""
    log = Log("beta")
    log.connect()
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2500, appends=3, transcript="What is the weather?")
    log.response("resp_1", "item_A1", "It is sunny.", previous="item_U1")
    log.wait(1.0)
    _speech_to_the_end(log, "item_U2")
    log.wait(8.0)
    log.server("rate_limits.updated", rate_limits=[])
    log.write_prefixed(path)
    return log


def _transcription_update(log: Log, language: str, prompt: str | None = None) -> None:
    """The client sets a transcription language (and prompt), the server applies it."""
    config: Event = {"model": "whisper-1", "language": language}
    if prompt is not None:
        config["prompt"] = prompt
    if log.dialect == "beta":
        body: Event = {"input_audio_transcription": config}
    else:
        body = {"type": "realtime", "audio": {"input": {"transcription": config}}}
    log.client("session.update", session=body)
    log.wait(0.08)
    session = log.session_object("whisper-1")
    if log.dialect == "beta":
        session["input_audio_transcription"] = config
    else:
        session["audio"]["input"]["transcription"] = config
    log.server("session.updated", session=session)


def language_auto_beta_prefixed(path: Path) -> Log:
    """A gateway document's session settings ("language": "auto", seed 002) sent by a beta
    app; the turn itself goes through."""
    log = Log("beta")
    log.connect()
    _transcription_update(log, "auto")
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2400, appends=3, transcript="今天天气怎么样？")
    log.response("resp_1", "item_A1", "今天是晴天，气温二十度。", previous="item_U1")
    log.write_prefixed(path)
    return log


def language_name_ga_ours(path: Path) -> Log:
    """Our log of a GA session whose transcription language was given as a name."""
    log = Log("ga")
    log.local("local.transport.state", state="connecting")
    log.connect()
    _transcription_update(log, "chinese")
    log.local("local.transport.state", state="connected", detail="WebSocket")
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2400, appends=3, transcript="你好，请介绍一下你自己。")
    log.response("resp_1", "item_A1", "你好！我是一个语音助手，很高兴为你服务。",
                 previous="item_U1")
    log.write_ours(path)
    return log


def hallucination_zh_ga_bare(path: Path) -> Log:
    """A Chinese conversation (bare events, one per line): a fan's noise in a pause is
    committed and transcribed as Amara.org's subtitle credit, then a channel's sign-off."""
    log = Log("ga")
    log.connect()
    _transcription_update(log, "zh", prompt="以下是普通话的句子。")
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2400, appends=3, transcript="帮我查一下明天的天气。")
    log.response("resp_1", "item_A1", "明天多云，最高气温二十二度。", previous="item_U1")
    log.wait(3.0)
    log.user_speech("item_U2", 7200, 7700, previous="item_A1",
                    transcript="字幕由 Amara.org 社群提供")
    log.response("resp_2", "item_A2", "请问还有什么需要帮忙的吗？", previous="item_U2")
    log.wait(4.0)
    log.user_speech("item_U3", 13000, 13600, previous="item_A2",
                    transcript="请不吝点赞 订阅 转发 打赏支持明镜与点点栏目")
    log.write_bare(path)
    return log


def reply_language_beta_array(path: Path) -> Log:
    """A beta app (events as a JSON array) whose instructions do not pin the language: asked
    in Chinese, the model answers in English."""
    log = Log("beta")
    log.connect()
    _transcription_update(log, "zh")
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2600, appends=3, transcript="你能帮我订一张去上海的火车票吗？")
    log.response("resp_1", "item_A1", "Sure! When would you like to travel to Shanghai?",
                 previous="item_U1")
    log.wait(1.0)
    log.user_speech("item_U2", 6000, 7400, previous="item_A1", transcript="明天上午十点左右。")
    log.response("resp_2", "item_A2", "Got it, I will look for trains around ten tomorrow.",
                 previous="item_U2")
    log.write_array(path)
    return log


def clean_chinese_ga_console(path: Path) -> Log:
    """A clean Chinese conversation with an English name in it and a short English aside
    ("OK"): none of the language rules may speak."""
    log = Log("ga")
    log.connect()
    _transcription_update(log, "zh-cn", prompt="以下是普通话的句子。")
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2600, appends=3, transcript="我想听 Taylor Swift 的歌。")
    log.response("resp_1", "item_A1", "好的，马上为你播放 Taylor Swift 的热门歌曲。",
                 previous="item_U1")
    log.wait(1.0)
    log.user_speech("item_U2", 6000, 6500, previous="item_A1", transcript="OK")
    log.response("resp_2", "item_A2", "祝你听得开心！", previous="item_U2")
    log.write_console(path)
    return log


WEATHER_TOOL = {"type": "function", "name": "get_weather",
                "description": "The current weather in a city. Say you are checking first.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]}}


def _with_tools(log: Log, *tools: Event) -> None:
    body: Event = {"tools": list(tools), "tool_choice": "auto"}
    if log.dialect == "ga":
        body = {"type": "realtime", **body}
    log.client("session.update", session=body)
    log.wait(0.08)
    session = log.session_object()
    session["tools"] = list(tools)
    log.server("session.updated", session=session)


def tool_output_silent_ga_logcat(path: Path) -> Log:
    """F1: the app sends the tool's result and never asks for the reply; the assistant stays
    silent until the user, 14 s later, asks whether anyone is there."""
    log = Log("ga")
    log.connect()
    _with_tools(log, WEATHER_TOOL)
    log.wait(1.0).user_speech("item_U1", 1200, 2900, transcript="What's the weather in Paris?")
    log.response_created("resp_1")
    call = log.call("resp_1", "item_C1", "call_kmnUtkOoDYWLgJHP", "get_weather",
                    '{"city":"Paris"}', previous="item_U1")
    log.response_done("resp_1", [call])
    log.wait(0.4)  # the app runs the tool
    log.tool_output("call_kmnUtkOoDYWLgJHP", '{"temp_c":18,"sky":"cloudy"}', "item_O1",
                    previous="item_C1")
    log.wait(14.0)
    log.user_speech("item_U2", 17500, 18600, previous="item_O1", transcript="Hello? Are you there?")
    log.response("resp_2", "item_A2", "Yes! It is 18 degrees and cloudy in Paris.",
                 previous="item_U2")
    log.write_logcat(path)
    return log


def tool_call_unanswered_beta_bare(path: Path) -> Log:
    """F7: a spoken preamble and a call in one response; the app never answers the call and
    sends a bare response.create (new instructions) instead, as the realtime console did."""
    log = Log("beta")
    log.connect(transcription="whisper-1")
    transfer = {"type": "function", "name": "transfer_call", "description": "Transfer the caller.",
                "parameters": {"type": "object",
                               "properties": {"department": {"type": "string"}}}}
    _with_tools(log, transfer)
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="Put me through to billing.")
    log.response_created("resp_1")
    said = log.spoken("resp_1", "item_A1", "Sure, transferring you now.", previous="item_U1")
    call = log.call("resp_1", "item_C1", "call_sHlR7iaFwQ2YQOqm", "transfer_call",
                    '{"department":"billing"}', index=1, previous="item_A1")
    log.response_done("resp_1", [said, call])
    log.wait(0.5)
    log.client("response.create", response={"instructions": "Tell the caller they are now "
                                                            "connected to billing."})
    log.response("resp_2", "item_A2", "You are now connected to billing.", previous="item_C1")
    log.write_bare(path)
    return log


def tool_output_unknown_call_ga_array(path: Path) -> Log:
    """The app answers with the call's item id instead of its call id: the output names no
    call, and the real call is never answered while the conversation goes on."""
    log = Log("ga")
    log.connect()
    _with_tools(log, WEATHER_TOOL)
    log.wait(1.0).user_speech("item_U1", 1000, 2500, transcript="Is it raining in Oslo?")
    log.response_created("resp_1")
    call = log.call("resp_1", "item_C1", "call_Q9eysr6LstYMEx6z", "get_weather",
                    '{"city":"Oslo"}', previous="item_U1")
    log.response_done("resp_1", [call])
    log.wait(0.3)
    log.client("conversation.item.create", item={
        "type": "function_call_output", "call_id": "item_C1", "output": '{"rain":true}'})
    log.client("response.create")
    log.response("resp_2", "item_A2", "I could not get the weather for Oslo, sorry.",
                 previous="item_C1")
    log.write_array(path)
    return log


def stale_tool_response_ga_console(path: Path) -> Log:
    """F6: the user cuts in while the assistant announces a lookup; the response (and its
    call) is cancelled, yet the app delivers the result with response.create while the user
    is still talking, and the new answer talks over them."""
    log = Log("ga", webrtc=True)
    log.connect()
    news = {"type": "function", "name": "get_headlines", "description": "Today's headlines.",
            "parameters": {"type": "object", "properties": {}}}
    _with_tools(log, news)
    log.wait(1.0).user_speech("item_U1", 1000, 2400, transcript="What's in the news?")
    log.response_created("resp_1")
    said = log.spoken("resp_1", "item_A1", "Let me look up today's headlines for you, one "
                      "moment.", previous="item_U1")
    call = log.call("resp_1", "item_C1", "call_7f2KqLm0ZpXa9Vb1", "get_headlines", "{}",
                    index=1, previous="item_A1", complete=False)
    log.wait(2.6)
    log.server("input_audio_buffer.speech_started", audio_start_ms=6100, item_id="item_U2")
    log.server("output_audio_buffer.cleared", response_id="resp_1")
    log.server("conversation.item.truncated", item_id="item_A1", content_index=0,
               audio_end_ms=3000)
    log.response_done("resp_1", [said, call], status="cancelled", reason="turn_detected")
    log.wait(0.3)  # the app ran the tool on function_call_arguments.done anyway
    log.tool_output("call_7f2KqLm0ZpXa9Vb1", '{"headlines":["Rates unchanged"]}', "item_O1",
                    previous="item_C1")
    log.client("response.create")
    log.response_created("resp_2")
    log.wait(0.8)
    log.server("input_audio_buffer.speech_stopped", audio_end_ms=8000, item_id="item_U2")
    log.commit_events("item_U2", "item_O1")
    log.server("conversation.item.input_audio_transcription.completed", item_id="item_U2",
               content_index=0, transcript="No wait, the weather instead.",
               usage={"type": "duration", "seconds": 2})
    said2 = log.spoken("resp_2", "item_A2", "Here are today's headlines: rates are unchanged.",
                       previous="item_O1")
    log.response_done("resp_2", [said2])
    log.wait(2.0).server("output_audio_buffer.stopped", response_id="resp_2")
    log.write_console(path)
    return log


def mcp_approval_unanswered_ga_array(path: Path) -> Log:
    """GA hosted MCP: the server asks for approval of a calendar call; the app has no handler
    for mcp_approval_request, and the user has to ask again."""
    log = Log("ga")
    log.connect()
    mcp = {"type": "mcp", "server_label": "calendar", "server_url": "https://mcp.example.com/mcp",
           "allowed_tools": ["list_events"], "require_approval": "always"}
    _with_tools(log, mcp)
    log.server("mcp_list_tools.in_progress", item_id="item_L1")
    tools = {"id": "item_L1", "type": "mcp_list_tools", "server_label": "calendar",
             "tools": [{"name": "list_events", "description": "Events of a day.",
                        "input_schema": {"type": "object",
                                         "properties": {"day": {"type": "string"}}}}]}
    log.server("conversation.item.added", previous_item_id=None, item=tools)
    log.server("mcp_list_tools.completed", item_id="item_L1")
    log.server("conversation.item.done", previous_item_id=None, item=tools)
    log.wait(1.0).user_speech("item_U1", 1500, 3000, transcript="What's on my calendar today?")
    log.response_created("resp_1")
    request = {"id": "mcpr_4Hq2bX", "type": "mcp_approval_request", "server_label": "calendar",
               "name": "list_events", "arguments": '{"day":"today"}'}
    log.server("response.output_item.added", response_id="resp_1", output_index=0,
               item=request)
    log.server("conversation.item.added", previous_item_id="item_U1", item=request)
    log.server("response.output_item.done", response_id="resp_1", output_index=0, item=request)
    log.server("conversation.item.done", previous_item_id="item_U1", item=request)
    log.response_done("resp_1", [request])
    log.wait(12.0)
    log.user_speech("item_U2", 16000, 17000, previous="mcpr_4Hq2bX", transcript="Hello?")
    log.response("resp_2", "item_A2", "I am still waiting to check your calendar.",
                 previous="item_U2")
    log.write_array(path)
    return log


def concurrent_tool_turn_beta_prefixed(path: Path) -> Log:
    """F2: the app runs the tool on function_call_arguments.done and asks for the reply at
    once, before the calling response's response.done: refused (beta wording, code null), and
    the follow-up never starts."""
    log = Log("beta")
    log.connect(transcription="whisper-1")
    order = {"type": "function", "name": "lookup_order", "description": "An order's status.",
             "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}
    _with_tools(log, order)
    log.wait(1.0).user_speech("item_U1", 1000, 2800, transcript="Where is order 4417?")
    log.response_created("resp_1")
    call = log.call("resp_1", "item_C1", "call_Zr84NwPq3LkT0aYd", "lookup_order",
                    '{"order_id":"4417"}', previous="item_U1", complete=False)
    log.tool_output("call_Zr84NwPq3LkT0aYd", '{"status":"shipped"}', "item_O1",
                    previous="item_C1")
    create = log.client("response.create")
    log.error(None, "Conversation already has an active response", answers=create)
    finished = {**call, "status": "completed"}
    log.server("response.output_item.done", response_id="resp_1", output_index=0,
               item=finished)
    log.response_done("resp_1", [finished])
    log.wait(1.5)
    log.write_prefixed(path)
    return log


def clean_tool_turn_ga_ours(path: Path) -> Log:
    """Tool turns done right: a reconnect seeds the old call and its output (history, no
    reply wanted); a preamble and a call, the output after response.done, then one
    response.create; the answer."""
    log = Log("ga", webrtc=True)
    log.local("local.transport.state", state="connecting")
    log.connect()
    log.local("local.transport.state", state="connected")
    _with_tools(log, WEATHER_TOOL)
    log.client("conversation.item.create", item={
        "type": "function_call", "call_id": "call_seed0000000001", "name": "get_weather",
        "arguments": '{"city":"Rome"}'})
    log.client("conversation.item.create", item={
        "type": "function_call_output", "call_id": "call_seed0000000001",
        "output": '{"temp_c":24}'})
    log.wait(1.0).user_speech("item_U1", 1200, 2900, transcript="And in Paris?")
    log.response_created("resp_1")
    said = log.spoken("resp_1", "item_A1", "Let me check.", previous="item_U1")
    call = log.call("resp_1", "item_C1", "call_kmnUtkOoDYWLgJHP", "get_weather",
                    '{"city":"Paris"}', index=1, previous="item_A1")
    log.response_done("resp_1", [said, call])
    log.wait(0.6).server("output_audio_buffer.stopped", response_id="resp_1")
    log.tool_output("call_kmnUtkOoDYWLgJHP", '{"temp_c":18}', "item_O1", previous="item_C1")
    log.client("response.create")
    log.response("resp_2", "item_A2", "It is 18 degrees in Paris.", previous="item_O1")
    log.local("local.transport.state", state="closed")
    log.write_ours(path)
    return log


def tool_turns_proxy_ours(path: Path) -> Log:
    """What ``voicechat proxy --record`` writes for a WebSocket app (our format): the app
    delivers a tool's result without response.create (F1), then, when the user asks again, a
    hosted MCP tool's approval request goes unanswered."""
    log = Log("ga")
    log.connect()
    mcp = {"type": "mcp", "server_label": "crm", "server_url": "https://crm.example.com/mcp",
           "require_approval": "always"}
    _with_tools(log, WEATHER_TOOL, mcp)
    log.wait(1.0).user_speech("item_U1", 1000, 2600, appends=4,
                              transcript="Weather in Lisbon, then my open tickets.")
    log.response_created("resp_1")
    call = log.call("resp_1", "item_C1", "call_Lx0qB3nY7TzK2mWe", "get_weather",
                    '{"city":"Lisbon"}', previous="item_U1")
    log.response_done("resp_1", [call])
    log.wait(0.5)
    log.tool_output("call_Lx0qB3nY7TzK2mWe", '{"temp_c":21}', "item_O1", previous="item_C1")
    for _ in range(80):  # 8 s of the user waiting: the mic sends silence
        log.client("input_audio_buffer.append", audio=AUDIO_CHUNK)
        log.wait(0.098)
    log.user_speech("item_U2", 12500, 13600, previous="item_O1", appends=4,
                    transcript="Hello? And my tickets?")
    log.response_created("resp_2")
    request = {"id": "mcpr_9aKd2Q", "type": "mcp_approval_request", "server_label": "crm",
               "name": "list_tickets", "arguments": '{"status":"open"}'}
    log.server("response.output_item.added", response_id="resp_2", output_index=0,
               item=request)
    log.server("conversation.item.added", previous_item_id="item_U2", item=request)
    log.server("response.output_item.done", response_id="resp_2", output_index=0, item=request)
    log.server("conversation.item.done", previous_item_id="item_U2", item=request)
    log.response_done("resp_2", [request])
    for _ in range(120):  # 12 s more: nothing answers the request
        log.client("input_audio_buffer.append", audio=AUDIO_CHUNK)
        log.wait(0.098)
    log.write_ours(path)
    return log


BETA_GONE = ("The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA "
             "API.")


def retired_beta_ga_ours(path: Path) -> Log:
    """new-api today (issue 37): the GA client connects, OpenAI refuses the beta header the
    gateway forced upstream, and the gateway drops the socket (1006)."""
    log = Log("ga")
    log.server("session.created", session=log.session_object(None, None))
    log.wait(0.2).error("beta_api_shape_disabled", BETA_GONE)
    log.local("local.transport.state", state="closed", detail="socket closed by the server "
              "(code 1006)")
    log.write_ours(path)
    return log


def retired_beta_console(path: Path) -> Log:
    log = Log("ga")
    log.connect()
    log.wait(0.3).error("beta_api_shape_disabled", BETA_GONE)
    log.write_console(path)
    return log


def gateway_quota_bare(path: Path) -> Log:
    """A one-api-family gateway refusing after the upgrade: one error event, then the drop."""
    log = Log("ga")
    log.connect()
    log.wait(0.2).error("insufficient_user_quota", "user quota is not enough (request id: "
                        "2026112503500012345)", kind="new_api_error")
    log.write_bare(path)
    return log


def region_blocked_ga_array(path: Path) -> Log:
    log = Log("ga")
    log.connect()
    log.wait(0.2).error("unsupported_country_region_territory", "Country, region, or territory "
                        "not supported (request id: 2026112503500012345)")
    log.write_array(path)
    return log


def billing_drop_ga_ours(path: Path) -> Log:
    """A gateway billing the turn and failing: the socket drops (1006) after response.done."""
    log = Log("ga")
    log.connect()
    log.wait(1.0).user_speech("item_U1", 1000, 2600, transcript="Hello?")
    log.response("resp_1", "item_A1", "Hello! How can I help?", previous="item_U1")
    log.local("local.transport.state", state="closed", detail="socket closed by the server "
              "(code 1006)")
    log.write_ours(path)
    return log


# --- latency (issue 39): logs whose turn timelines are known ------------------------------


def slow_vad_beta_webrtc_android(path: Path) -> Log:
    """A beta WebRTC app with its server VAD waiting 1.5 s of silence: every answer starts
    2.3 s after the user stopped. A bracketed-timestamp text log."""
    log = Log("beta", webrtc=True)
    log.connect(vad={"silence_duration_ms": 1500})
    for n, (start, end) in enumerate(((1000, 2600), (7000, 8200), (12500, 14000)), 1):
        previous = f"item_A{n - 1}" if n > 1 else None
        log.wait(1.0).user_speech(f"item_U{n}", start, end, previous=previous,
                                  transcript="What is on my calendar?")
        log.wait(0.45).response(f"resp_{n}", f"item_A{n}", "You have two meetings today.",
                                previous=f"item_U{n}")
    log.write_android(path)
    return log


def typed_turn_ga_webrtc_console(path: Path) -> Log:
    """A GA WebRTC browser app: one spoken turn, then one typed turn (item + response.create)."""
    log = Log("ga", webrtc=True)
    log.connect()
    log.wait(1.0).user_speech("item_U1", 900, 2400, transcript="Hi there.")
    log.wait(0.2).response("resp_1", "item_A1", "Hello! What can I do?", previous="item_U1")
    log.wait(2.0)
    log.client("conversation.item.create", item={
        "type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "Spell my name: Ada."}]})
    log.client("response.create")
    log.wait(0.6).response("resp_2", "item_A2", "A, D, A.", previous="item_T1")
    log.wait(0.8).user_speech("item_U3", 9800, 10900, previous="item_A2", transcript="Thanks!")
    log.wait(0.3).response("resp_3", "item_A3", "You're welcome.", previous="item_U3")
    log.write_console(path)
    return log


def timed_turns_ga_ours(path: Path) -> Log:
    """Our own WebSocket records: two spoken turns, the speaker's start logged by the client."""
    log = Log("ga")
    log.local("local.transport.state", state="connected")
    log.connect()
    for n, (start, end) in enumerate(((900, 2300), (6100, 7000)), 1):
        previous = f"item_A{n - 1}" if n > 1 else None
        log.wait(0.8).user_speech(f"item_U{n}", start, end, previous=previous, appends=2,
                                  transcript="Tell me a joke.")
        log.wait(0.25).response_start(f"resp_{n}", f"item_A{n}", f"item_U{n}")
        log.wait(0.3)
        log.server("response.output_audio.delta", response_id=f"resp_{n}",
                   item_id=f"item_A{n}", output_index=0, content_index=0, delta=AUDIO_CHUNK)
        log.wait(0.06).local("local.playback.started", item_id=f"item_A{n}")
        log.wait(1.2).response_end(f"resp_{n}", f"item_A{n}", "Why did the chicken cross?")
    log.write_ours(path)
    return log


# --- tool turns the doctor misjudged (issue 39, section 0) ---------------------------------

_WEATHER = {"type": "function", "name": "get_weather", "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


def agents_sdk_tool_turn_beta_array(path: Path) -> Log:
    """The agents SDKs' sequence, beta WebSocket, a JSON array: the call's item is done, the
    output goes at once (acknowledged by conversation.item.created), then the calling
    response's response.done, then one response.create and the answer. Nothing is wrong."""
    log = Log("beta")
    log.connect(transcription="whisper-1")
    _with_tools(log, _WEATHER)
    log.wait(1.0).user_speech("item_U1", 1000, 2500, transcript="Weather in Paris?")
    log.response_created("resp_1")
    call = log.call("resp_1", "item_C1", "call_Wx81kPq0aZ", "get_weather",
                    '{"city":"Paris"}', previous="item_U1")
    log.wait(0.02)
    log.tool_output("call_Wx81kPq0aZ", '{"temp_c":18}', "item_O1", previous="item_C1")
    log.response_done("resp_1", [call])
    log.wait(0.01)
    log.client("response.create")
    log.response("resp_2", "item_A2", "It is 18 degrees in Paris.", previous="item_O1")
    log.wait(1.0).user_speech("item_U2", 6000, 7000, previous="item_A2", transcript="Thanks.")
    log.response("resp_3", "item_A3", "You're welcome.", previous="item_U2")
    log.write_array(path)
    return log


def tool_dead_air_ga_array(path: Path) -> Log:
    """The output is sent with no response.create; 11.5 s of silence (the input audio clock
    shows it: the log has no times) until the user asks if anyone is there."""
    log = Log("ga")
    log.connect()
    _with_tools(log, _WEATHER)
    log.wait(1.0).user_speech("item_U1", 1000, 2500, transcript="Weather in Oslo?")
    log.response_created("resp_1")
    call = log.call("resp_1", "item_C1", "call_Os10dEadAir", "get_weather",
                    '{"city":"Oslo"}', previous="item_U1")
    log.response_done("resp_1", [call])
    log.wait(0.4)
    log.tool_output("call_Os10dEadAir", '{"temp_c":3}', "item_O1", previous="item_C1")
    log.wait(11.5)
    log.user_speech("item_U2", 14900, 16400, previous="item_O1",
                    transcript="Hello? Are you still there?")
    log.response("resp_2", "item_A2", "Sorry! It is 3 degrees in Oslo.", previous="item_U2")
    log.write_array(path)
    return log


def tool_call_at_log_end_beta_ours(path: Path) -> Log:
    """The log ends 0.3 s after a response whose last item is a completed
    transferToSupervisor call, with no output: the app never answered it, or the log was cut
    there."""
    log = Log("beta", webrtc=True)
    log.connect(transcription="whisper-1")
    transfer = {"type": "function", "name": "transferToSupervisor",
                "description": "Hand the call to a supervisor.",
                "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}}}
    _with_tools(log, transfer)
    log.wait(1.0).user_speech("item_U1", 1000, 3200, transcript="I want a supervisor.")
    log.response_created("resp_1")
    said = log.spoken("resp_1", "item_A1", "Let me get my supervisor.", previous="item_U1")
    call = log.call("resp_1", "item_C1", "call_kmnUtkOoDYWLgJHP", "transferToSupervisor",
                    '{"reason":"billing dispute"}', index=1, previous="item_A1")
    log.response_done("resp_1", [said, call])
    log.wait(0.3)
    log.server("output_audio_buffer.stopped", response_id="resp_1")
    log.write_ours(path)
    return log


def early_output_and_create_beta_prefixed(path: Path) -> Log:
    """A beta app that sends the output and response.create the moment the call's item is
    done (output_item.done), before the calling response's response.done: the create comes
    while that response is still active (concurrent-response), but the call *is* answered."""
    log = Log("beta")
    log.connect(transcription="whisper-1")
    _with_tools(log, _WEATHER)
    log.wait(1.0).user_speech("item_U1", 1000, 2500, transcript="Weather in Rome?")
    log.response_created("resp_1")
    call = log.call("resp_1", "item_C1", "call_R0me5unny", "get_weather", '{"city":"Rome"}',
                    previous="item_U1")
    log.tool_output("call_R0me5unny", '{"temp_c":24}', "item_O1", previous="item_C1")
    create = log.client("response.create")
    log.error("conversation_already_has_active_response",
              "Conversation already has an active response", answers=create)
    log.response_done("resp_1", [call])
    log.wait(0.2)
    log.client("response.create")
    log.response("resp_2", "item_A2", "It is 24 degrees in Rome.", previous="item_O1")
    log.write_prefixed(path)
    return log


def _xai_session() -> Event:
    """What xAI reports: voice and turn_detection at the top level, the model from the URL."""
    return {"type": "realtime", "object": "realtime.session", "id": "sess_X1",
            "model": "grok-voice-latest", "instructions": "Be brief.", "voice": "Ara",
            "turn_detection": {"type": "server_vad", "threshold": 0.85, "prefix_padding_ms": 333,
                               "silence_duration_ms": 500},
            "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
                                "transcription": {"model": "grok-transcribe"}},
                      "output": {"format": {"type": "audio/pcm", "rate": 24000}}},
            "tools": []}


def _as_xai(log: Log) -> Log:
    """xAI's way with what the GA builders wrote: no usage (it bills per minute), no rate
    limits."""
    kept = []
    for record in log.records:
        event = record[2]
        if event["type"] == "rate_limits.updated":
            continue
        if event["type"] == "response.done":
            event["response"]["usage"] = None
        kept.append(record)
    log.records = kept
    return log


def _xai_typed_turn(log: Log, rid: str, item: str, text: str, previous: str | None) -> None:
    log.client("conversation.item.create", item={
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    log.client("response.create")
    log.wait(0.5).response(rid, item, "Sure, here it is.", previous=previous)


def xai_silent_start_console(path: Path) -> Log:
    """A browser app written for OpenAI against xAI (early 2026): it waits for session.created,
    which never comes; after its own 12 s fallback it configures the session and works."""
    log = Log("ga")
    log.server("conversation.created",
               conversation={"id": "conv_X1", "object": "realtime.conversation"})
    log.wait(12.0)
    log.client("session.update", session={"type": "realtime", "voice": "Ara",
                                          "turn_detection": {"type": "server_vad"}})
    log.wait(0.08)
    log.server("session.updated", session=_xai_session())
    log.wait(1.0)
    _xai_typed_turn(log, "resp_1", "item_A1", "Say hello.", None)
    _as_xai(log).write_console(path)
    return log


def xai_clean_websocket_ours(path: Path) -> Log:
    """voicechat --provider xai: session.update at once (no wait), xAI's streaming transcript
    (cumulative ``…transcription.updated``, an interim ``…completed``), null usage: clean."""
    log = Log("ga")
    log.local("local.transport.state", state="connecting",
              detail="WebSocket to wss://api.x.ai/v1/realtime?model=grok-voice-latest")
    log.server("conversation.created",
               conversation={"id": "conv_X1", "object": "realtime.conversation"})
    log.local("local.transport.state", state="connected", detail="WebSocket")
    log.client("session.update", session={"type": "realtime", "voice": "Ara",
                                          "turn_detection": {"type": "server_vad"},
                                          "audio": {"input": {"transcription": {
                                              "model": "grok-transcribe"}}}})
    log.wait(0.08)
    log.server("session.updated", session=_xai_session())
    log.wait(0.5)
    log.user_speech("item_U1", 900, 2500, appends=3, transcript=None)
    for text in ("What is", "What is the weather"):
        log.server("conversation.item.input_audio_transcription.updated", item_id="item_U1",
                   content_index=0, transcript=text)
    log.server("conversation.item.input_audio_transcription.completed", item_id="item_U1",
               content_index=0, transcript="What is the weather", status="in_progress")
    log.server("conversation.item.input_audio_transcription.completed", item_id="item_U1",
               content_index=0, transcript="What is the weather?")
    log.response("resp_1", "item_A1", "I cannot check the weather, sorry.", previous="item_U1")
    log.local("local.playback.started")
    log.local("local.mic.muted", reason="playback")
    log.wait(1.8)
    log.local("local.playback.drained")
    log.wait(0.4)
    log.local("local.mic.unmuted")
    for _ in range(5):
        log.client("input_audio_buffer.append", audio=AUDIO_CHUNK)
        log.wait(0.1)
    _xai_typed_turn(log, "resp_2", "item_A2", "Then tell me a joke.", "item_A1")
    log.local("local.playback.started")
    log.local("local.mic.muted", reason="playback")
    log.wait(1.0)
    log.local("local.playback.drained")
    log.wait(0.4)
    log.local("local.mic.unmuted")
    log.wait(1.0)
    log.local("local.key", action="quit")
    log.local("local.transport.state", state="closed", detail="stopped")
    _as_xai(log).write_ours(path)
    return log


BUILDERS: dict[str, Callable[[Path], Log]] = {
    "clean_ga_websocket.jsonl": clean_ga_ws_ours,
    "clean_beta_websocket_bare.jsonl": clean_beta_ws_bare,
    "clean_ga_webrtc_logcat.txt": clean_ga_webrtc_logcat,
    "clean_beta_push_to_talk.json": clean_beta_ptt_array,
    "clean_ga_text_console.log": clean_ga_text_console,
    "clean_torn_last_line.jsonl": torn_clean_ours,
    "invalid_param_ga.jsonl": invalid_param_ga_ours,
    "dialect_beta_client_ga_server.log": dialect_beta_client_ga_server_prefixed,
    "dialect_ga_client_beta_server.json": dialect_ga_client_beta_server_array,
    "mic_stuck_webrtc.jsonl": mic_stuck_webrtc_ours,
    "mic_stuck_webrtc_console.log": mic_stuck_webrtc_console,
    "mic_stuck_android_webrtc.log": mic_stuck_android_webrtc,
    "short_segments_ga_bare.jsonl": short_segments_ga_bare,
    "transcription_off_beta.log": transcription_off_beta_prefixed,
    "transcription_failed_ga.jsonl": transcription_failed_ga_ours,
    "client_cancel_ga.jsonl": client_cancel_ga_ours,
    "self_interruption_webrtc_logcat.txt": self_interrupt_webrtc_logcat,
    "concurrent_response_beta_bare.jsonl": concurrent_beta_bare,
    "cancel_without_response_ga.jsonl": cancel_without_response_ga_ours,
    "commit_too_small_beta_ptt.json": commit_small_beta_array,
    "truncate_out_of_range_ga_console.log": truncate_range_ga_console,
    "session_expired_ga.jsonl": session_expired_ga_ours,
    "rate_limited_ga_bare.jsonl": rate_limited_ga_bare,
    "several_problems_beta.jsonl": several_problems_beta_ours,
    "server_silent_webrtc.jsonl": server_silent_webrtc_ours,
    "server_silent_websocket.jsonl": server_silent_ws_ours,
    "tool_output_silent_ga_logcat.txt": tool_output_silent_ga_logcat,
    "tool_call_unanswered_beta_bare.jsonl": tool_call_unanswered_beta_bare,
    "tool_output_unknown_call_ga.json": tool_output_unknown_call_ga_array,
    "stale_tool_response_ga_console.log": stale_tool_response_ga_console,
    "mcp_approval_unanswered_ga.json": mcp_approval_unanswered_ga_array,
    "concurrent_tool_turn_beta.log": concurrent_tool_turn_beta_prefixed,
    "clean_tool_turn_ga_webrtc.jsonl": clean_tool_turn_ga_ours,
    "tool_turns_proxy_recording.jsonl": tool_turns_proxy_ours,
    "speech_never_ended_ga_websocket.jsonl": speech_never_ended_ws_ours,
    "speech_never_ended_beta.log": speech_never_ended_beta_prefixed,
    "retired_beta_ga.jsonl": retired_beta_ga_ours,
    "retired_beta_console.log": retired_beta_console,
    "gateway_quota_bare.jsonl": gateway_quota_bare,
    "region_blocked_ga.json": region_blocked_ga_array,
    "billing_drop_ga.jsonl": billing_drop_ga_ours,
    "language_auto_beta.log": language_auto_beta_prefixed,
    "language_name_ga.jsonl": language_name_ga_ours,
    "hallucination_zh_ga_bare.jsonl": hallucination_zh_ga_bare,
    "reply_language_beta.json": reply_language_beta_array,
    "clean_chinese_ga_console.log": clean_chinese_ga_console,
    "slow_vad_beta_webrtc_android.log": slow_vad_beta_webrtc_android,
    "typed_turn_ga_webrtc_console.log": typed_turn_ga_webrtc_console,
    "timed_turns_ga.jsonl": timed_turns_ga_ours,
    "agents_sdk_tool_turn_beta.json": agents_sdk_tool_turn_beta_array,
    "tool_dead_air_ga.json": tool_dead_air_ga_array,
    "tool_call_at_log_end_beta.jsonl": tool_call_at_log_end_beta_ours,
    "early_output_and_create_beta.log": early_output_and_create_beta_prefixed,
    "xai_silent_start_console.log": xai_silent_start_console,
    "xai_clean_websocket.jsonl": xai_clean_websocket_ours,
}

EXPECTED: dict[str, set[str]] = {
    "clean_ga_websocket.jsonl": set(),
    "clean_beta_websocket_bare.jsonl": set(),
    "clean_ga_webrtc_logcat.txt": set(),
    "clean_beta_push_to_talk.json": set(),
    "clean_ga_text_console.log": set(),
    "clean_torn_last_line.jsonl": set(),
    "invalid_param_ga.jsonl": {"invalid-session-param"},
    "dialect_beta_client_ga_server.log": {"dialect-mismatch"},
    "dialect_ga_client_beta_server.json": {"dialect-mismatch"},
    "mic_stuck_webrtc.jsonl": {"mic-not-resumed"},
    "mic_stuck_webrtc_console.log": {"mic-not-resumed"},
    "mic_stuck_android_webrtc.log": {"invalid-session-param", "mic-not-resumed"},
    "short_segments_ga_bare.jsonl": {"short-speech-segments", "transcription-off-or-empty"},
    "transcription_off_beta.log": {"transcription-off-or-empty"},
    "transcription_failed_ga.jsonl": {"transcription-failed"},
    "client_cancel_ga.jsonl": {"client-cancelled-response"},
    "self_interruption_webrtc_logcat.txt": {"self-interruption"},
    "concurrent_response_beta_bare.jsonl": {"concurrent-response"},
    "cancel_without_response_ga.jsonl": {"cancel-without-response"},
    "commit_too_small_beta_ptt.json": {"commit-too-small"},
    "truncate_out_of_range_ga_console.log": {"truncate-out-of-range"},
    "session_expired_ga.jsonl": {"session-expired"},
    "rate_limited_ga_bare.jsonl": {"rate-limited"},
    "several_problems_beta.jsonl": {"concurrent-response", "cancel-without-response",
                                    "commit-too-small"},
    "server_silent_webrtc.jsonl": {"server-silent"},
    "server_silent_websocket.jsonl": {"server-silent"},
    "tool_output_silent_ga_logcat.txt": {"tool-output-without-response"},
    "tool_call_unanswered_beta_bare.jsonl": {"tool-call-unanswered"},
    "tool_output_unknown_call_ga.json": {"tool-output-unknown-call", "tool-call-unanswered"},
    "stale_tool_response_ga_console.log": {"stale-tool-response"},
    "mcp_approval_unanswered_ga.json": {"mcp-approval-unanswered"},
    "concurrent_tool_turn_beta.log": {"concurrent-response"},
    "clean_tool_turn_ga_webrtc.jsonl": set(),
    "tool_turns_proxy_recording.jsonl": {"tool-output-without-response",
                                         "mcp-approval-unanswered"},
    "speech_never_ended_ga_websocket.jsonl": {"speech-never-ended"},
    "speech_never_ended_beta.log": {"speech-never-ended"},
    "retired_beta_ga.jsonl": {"retired-beta"},
    "retired_beta_console.log": {"retired-beta"},
    "gateway_quota_bare.jsonl": {"gateway-refusal"},
    "region_blocked_ga.json": {"gateway-refusal"},
    "billing_drop_ga.jsonl": {"silent-close"},
    "language_auto_beta.log": {"transcription-language"},
    "language_name_ga.jsonl": {"transcription-language"},
    "hallucination_zh_ga_bare.jsonl": {"transcript-hallucination"},
    "reply_language_beta.json": {"reply-language"},
    "clean_chinese_ga_console.log": set(),
    "slow_vad_beta_webrtc_android.log": {"slow-first-audio"},
    "typed_turn_ga_webrtc_console.log": set(),
    "timed_turns_ga.jsonl": set(),
    "agents_sdk_tool_turn_beta.json": set(),
    "tool_dead_air_ga.json": {"tool-output-without-response"},
    "tool_call_at_log_end_beta.jsonl": {"tool-call-unanswered"},
    "early_output_and_create_beta.log": {"concurrent-response"},
    "xai_silent_start_console.log": {"silent-start"},
    "xai_clean_websocket.jsonl": set(),
}


def main() -> None:
    LOGS.mkdir(exist_ok=True)
    for name, build in BUILDERS.items():
        build(LOGS / name)
    (LOGS / "not_a_log.txt").write_text("hello\nthis file has no events {not json}\n")
    print(f"wrote {len(BUILDERS) + 1} logs to {LOGS}")


if __name__ == "__main__":
    main()
