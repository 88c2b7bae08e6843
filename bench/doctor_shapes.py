"""The log shapes ``bench_doctor.py`` times the doctor on, and each one's stdlib baseline.

Three shapes are the goal's (≤ 1.5× the same-run baseline on each):

- ``records``: our own JSONL (``{"t", "ts", "dir", "event"}``), a GA WebSocket session with the
  mic's appends and audio deltas as sizes: what ``voicechat`` writes;
- ``bare``: one bare server event per line, no wrapper, no client events, what an app that
  prints every server event it receives writes (``print(json.dumps(event))``,
  ``console.log(JSON.stringify(event))``). The mix follows the real recordings in
  ``tests/fixtures/realtime/`` (WebRTC data channel and WebSocket apps, GA and beta): no audio
  deltas (a WebRTC app receives audio over RTP, and the WebSocket sources there did not print
  them), transcript deltas the bulk (38 of 72 and 157 of 414 events in the beta captures; about
  half in the GA ones), every delta with the GA ``obfuscation`` field and real-length ids, and
  per turn the control events those captures show in that order (VAD, committed, the items,
  the input transcription, ``response.created`` … ``response.done`` with its usage,
  ``rate_limits.updated``, ``output_audio_buffer.started``/``stopped``), one reply in four
  text-only (``response.output_text.delta``) and one in eight ending in a function call
  (``response.function_call_arguments.delta`` ×N, as the long beta capture does). ~190 bytes a
  line on average;
- ``text``: an Android app's logcat, the same events inline as ``<< {json}`` / ``>> {json}``
  after logcat's prefix, between the app's own lines (audio track, WebRTC, the app's state:
  one app line to every three event lines), as in ``tests/doctor/logs/*logcat*.txt``.

Other shapes, to check the goal holds beyond the ones it was tuned on (``--shapes``):
``bare-beta`` (beta names: ``response.audio_transcript.delta``, ``conversation.item.created``,
a flat beta session), ``bare-crlf`` (the bare shape with CRLF line ends, as a Windows app
writes), ``bare-audio`` (the bare shape with ``response.output_audio.delta`` carrying base64
audio, 100 ms a chunk, inline: what a WebSocket app that prints everything writes) and
``console`` (a browser console: ``[hh:mm:ss.mmm] realtime.js:88 received {json}``, session
events pretty-printed over many lines as Chrome copies them).

``clean-ga`` (issue 55): the events of ``tests/doctor/logs/clean_ga_websocket.jsonl`` (two
answered turns of a GA WebSocket session, the client's events and the mic's appends included)
without our records' wrapper and times and without our ``local.*`` records, repeated to the
size: a log of bare events with no times at all, where the doctor's latency section looks for
a clock (the mic audio appended) and the language rules read every transcript.

Baselines (a child process each, over the same file):

- JSONL shapes: ``json.loads`` on every line (the floor any per-line JSON tool pays);
- text shapes: every line's first ``{``, and ``json.loads`` of the rest of the line
  (``ValueError``: not an event, next line). That is the least a tool must do to pull inline
  events out of a text log (find where the JSON starts, decode it), with the same decoder
  call as the JSONL baseline, so the two floors are alike. ``json.JSONDecoder().raw_decode``
  from the ``{`` would be ~25 % faster (``loads`` also matches leading and trailing
  whitespace with a regex, twice per call) and would take an object followed by text, but it
  is not the loop the report timed, nor what the JSONL baseline uses. Neither finds an object
  pretty-printed over several lines (``console``): there the baseline does less than the
  doctor, and the ratio is an upper bound.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

START = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
WORDS = ("It", "will", "be", "sunny", "with", "a", "light", "breeze", "in", "the", "afternoon")
_REPLY = ("Sure", ",", " I", " can", " help", " with", " that", ".", " Your", " balance", " is",
          " forty", "-two", " dollars", " and", " the", " next", " bill", " is", " due", " on",
          " the", " first", ".", " Anything", " else", "?")
_ID = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

SHAPES = ("records", "bare", "text")
OTHER_SHAPES = ("bare-beta", "bare-crlf", "bare-audio", "console", "clean-ga")
#: The corpus log the ``clean-ga`` shape repeats.
CLEAN_GA = Path(__file__).resolve().parents[1] / "tests/doctor/logs/clean_ga_websocket.jsonl"


def _dumps(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


class RecordWriter:
    """Our own records: a GA WebSocket session with appends and audio deltas as sizes."""

    def __init__(self, out: TextIO, text: bool = False) -> None:
        self.out = out
        self.text = text
        self.t = 0.0
        self.events = 0
        self.n = 0

    def emit(self, direction: str, event: dict[str, Any], dt: float = 0.01) -> None:
        self.t += dt
        stamp = START + timedelta(seconds=self.t)
        ts = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
        if direction == "in":
            self.n += 1
            event = {**event, "event_id": f"event_{self.n:09d}"}
        self.out.write(json.dumps({"t": round(self.t, 6), "ts": ts, "dir": direction,
                                   "event": event}, separators=(",", ":")) + "\n")
        self.events += 1

    def session(self) -> None:
        session = {"type": "realtime", "object": "realtime.session", "model": "gpt-realtime",
                   "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
                                       "transcription": {"model": "gpt-4o-mini-transcribe"},
                                       "turn_detection": {"type": "server_vad", "threshold": 0.5,
                                                          "prefix_padding_ms": 300,
                                                          "silence_duration_ms": 500}},
                             "output": {"voice": "alloy"}}}
        self.emit("in", {"type": "session.created", "session": session})
        self.emit("out", {"type": "session.update", "session": {
            "type": "realtime", "audio": session["audio"]}})
        self.emit("in", {"type": "session.updated", "session": session})

    def turn(self, k: int) -> None:
        user, assistant, rid = f"item_U{k}", f"item_A{k}", f"resp_{k}"
        start_ms = int(self.t * 1000)
        for _ in range(20):
            self.emit("out", {"type": "input_audio_buffer.append", "audio": {"bytes": 4800}},
                      0.1)
        self.emit("in", {"type": "input_audio_buffer.speech_started",
                         "audio_start_ms": start_ms, "item_id": user})
        self.emit("in", {"type": "input_audio_buffer.speech_stopped",
                         "audio_end_ms": start_ms + 1800, "item_id": user})
        self.emit("in", {"type": "input_audio_buffer.committed", "item_id": user})
        item = {"id": user, "type": "message", "role": "user",
                "content": [{"type": "input_audio", "transcript": None}]}
        self.emit("in", {"type": "conversation.item.added", "item": item})
        self.emit("in", {"type": "conversation.item.done", "item": item})
        self.emit("in", {"type": "response.created", "response": {"id": rid,
                                                                   "status": "in_progress"}})
        self.emit("in", {"type": "conversation.item.input_audio_transcription.completed",
                         "item_id": user, "content_index": 0,
                         "transcript": "What is the weather like tomorrow?"})
        for word in WORDS:
            self.emit("in", {"type": "response.output_audio_transcript.delta",
                             "response_id": rid, "item_id": assistant, "delta": word + " "})
            self.emit("in", {"type": "response.output_audio.delta", "response_id": rid,
                             "item_id": assistant, "delta": {"bytes": 9600}})
        self.emit("in", {"type": "response.output_audio.done", "response_id": rid,
                         "item_id": assistant})
        self.emit("in", {"type": "response.output_audio_transcript.done", "response_id": rid,
                         "item_id": assistant, "transcript": "It will be sunny."})
        self.emit("in", {"type": "response.done", "response": {"id": rid, "status": "completed"}})
        self.emit("in", {"type": "rate_limits.updated", "rate_limits": [
            {"name": "tokens", "limit": 40000, "remaining": 39000, "reset_seconds": 1.5}]})


class AppWriter:
    """What an app prints: bare server events (and, in a text log, its client events and its
    own lines), in the order and with the fields the real captures show."""

    def __init__(self, out: TextIO, *, beta: bool = False, newline: str = "\n",
                 audio: bool = False, text: str | None = None, real_ids: bool = False) -> None:
        self.out = out
        self.beta = beta
        self.newline = newline
        self.audio = audio
        self.text = text  # None: bare JSONL; "logcat" or "console"
        self.rng = random.Random(7)
        #: Real ids are 21 characters after their prefix; 8 here brings the mean line to the
        #: ~180 bytes of the report that asked for this shape (a shorter line weighs the
        #: per-line work more: the harder case). ``real_ids``: the captures' length.
        self.id_chars = 21 if real_ids else 8
        self.t = 0.0
        self.events = 0
        self.audio_b64 = base64.b64encode(bytes(self.rng.randrange(256)
                                                for _ in range(4800))).decode()

    def _id(self, prefix: str) -> str:
        return prefix + "_" + "".join(self.rng.choice(_ID) for _ in range(self.id_chars))

    def _clock(self) -> datetime:
        return START + timedelta(seconds=self.t)

    def app_line(self, tag: str, message: str, dt: float = 0.005) -> None:
        """One of the app's own lines (text logs only)."""
        if self.text is None:
            return
        self.t += dt
        stamp = self._clock()
        if self.text == "logcat":
            clock = stamp.strftime("%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
            self.out.write(f"{clock}  4321  4391 I {tag}: {message}{self.newline}")
        else:
            self.out.write(f"[{stamp.strftime('%H:%M:%S.')}{stamp.microsecond // 1000:03d}] "
                           f"{tag}: {message}{self.newline}")

    def emit(self, event: dict[str, Any], dt: float = 0.02, direction: str = "in",
             pretty: bool = False) -> None:
        self.t += dt
        if direction == "in":
            event = {"type": event["type"], "event_id": self._id("event"),
                     **{k: v for k, v in event.items() if k != "type"}}
        elif self.text is None:
            return  # a bare log holds what the server sent
        body = _dumps(event) if not pretty else json.dumps(event, indent=2, ensure_ascii=False)
        if self.text is None:
            self.out.write(body + self.newline)
        else:
            stamp = self._clock()
            if self.text == "logcat":
                clock = stamp.strftime("%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
                arrow = "<<" if direction == "in" else ">>"
                self.out.write(f"{clock}  4321  4390 D RealtimeClient: {arrow} {body}"
                               f"{self.newline}")
            else:
                word = "received" if direction == "in" else "sent"
                self.out.write(f"[{stamp.strftime('%H:%M:%S.')}{stamp.microsecond // 1000:03d}]"
                               f" realtime.js:88 {word} {body}{self.newline}")
        self.events += 1

    def name(self, ga: str) -> str:
        if not self.beta:
            return ga
        return {"response.output_audio_transcript.delta": "response.audio_transcript.delta",
                "response.output_audio_transcript.done": "response.audio_transcript.done",
                "response.output_audio.delta": "response.audio.delta",
                "response.output_audio.done": "response.audio.done",
                "response.output_text.delta": "response.text.delta",
                "response.output_text.done": "response.text.done",
                "conversation.item.added": "conversation.item.created"}.get(ga, ga)

    def session(self) -> None:
        self.app_line("ActivityManager", "Start proc 4321:com.example.voice")
        self.app_line("RealtimeClient", "connecting to wss://api.openai.com/v1/realtime")
        if self.beta:
            session = {"id": self._id("sess"), "object": "realtime.session",
                       "model": "gpt-4o-realtime-preview-2024-12-17",
                       "modalities": ["text", "audio"], "instructions": "Be brief.",
                       "voice": "alloy", "input_audio_format": "pcm16",
                       "output_audio_format": "pcm16",
                       "input_audio_transcription": {"model": "whisper-1"},
                       "turn_detection": {"type": "server_vad", "threshold": 0.5,
                                          "prefix_padding_ms": 300, "silence_duration_ms": 200,
                                          "create_response": True, "interrupt_response": True},
                       "tools": [], "tool_choice": "auto", "temperature": 0.8,
                       "max_response_output_tokens": "inf"}
            update = {"type": "session.update", "session": {
                "input_audio_transcription": {"model": "whisper-1"}}}
        else:
            session = {"type": "realtime", "object": "realtime.session", "id": self._id("sess"),
                       "model": "gpt-realtime", "output_modalities": ["audio"],
                       "instructions": "Be brief.", "tools": [], "tool_choice": "auto",
                       "max_output_tokens": "inf", "tracing": None, "truncation": "auto",
                       "prompt": None, "expires_at": 1795255200,
                       "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
                                           "transcription": {"model": "gpt-4o-mini-transcribe"},
                                           "noise_reduction": None,
                                           "turn_detection": {
                                               "type": "server_vad", "threshold": 0.5,
                                               "prefix_padding_ms": 300,
                                               "silence_duration_ms": 200,
                                               "create_response": True,
                                               "interrupt_response": True}},
                                 "output": {"format": {"type": "audio/pcm", "rate": 24000},
                                            "voice": "alloy", "speed": 1.0}},
                       "include": None}
            update = {"type": "session.update", "session": {"type": "realtime", "audio": {
                "input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}}}}
        pretty = self.text == "console"
        self.emit({"type": "session.created", "session": session}, pretty=pretty)
        self.emit(update, direction="out")
        self.emit({"type": "session.updated", "session": session}, pretty=pretty)

    def turn(self, k: int) -> None:
        rng = self.rng
        user, assistant, rid = self._id("item"), self._id("item"), self._id("resp")
        start_ms = int(self.t * 1000)
        self.app_line("AudioRecord", "mic level -31.5 dBFS", 0.3)
        self.emit({"type": "input_audio_buffer.speech_started", "audio_start_ms": start_ms,
                   "item_id": user}, 0.2)
        self.app_line("WebRtcAudioRecord", "AudioRecordThread: frames 100")
        self.emit({"type": "input_audio_buffer.speech_stopped",
                   "audio_end_ms": start_ms + 1800, "item_id": user}, 1.8)
        self.emit({"type": "input_audio_buffer.committed", "previous_item_id": None,
                   "item_id": user})
        item = {"id": user, "type": "message", "status": "completed", "role": "user",
                "content": [{"type": "input_audio", "transcript": None}]}
        added = {"previous_item_id": None, "item": item}
        if self.beta:
            self.emit({"type": "conversation.item.created", **added,
                       "item": {**item, "object": "realtime.item"}})
        else:
            self.emit({"type": "conversation.item.added", **added})
            self.emit({"type": "conversation.item.done", **added})
        question = "What is my balance and when is the next bill due?"
        self.emit({"type": "conversation.item.input_audio_transcription.delta", "item_id": user,
                   "content_index": 0, "delta": question})
        text_only = k % 4 == 3
        calls = k % 8 == 5
        response = {"object": "realtime.response", "id": rid, "status": "in_progress",
                    "status_details": None, "output": [], "conversation_id": "conv_1",
                    "output_modalities": ["text" if text_only else "audio"],
                    "max_output_tokens": "inf", "usage": None, "metadata": None}
        self.emit({"type": "response.created", "response": response})
        self.emit({"type": "conversation.item.input_audio_transcription.completed",
                   "item_id": user, "content_index": 0, "transcript": question})
        out = {"id": assistant, "type": "message", "status": "in_progress", "role": "assistant",
               "content": []}
        self.emit({"type": "response.output_item.added", "response_id": rid, "output_index": 0,
                   "item": out})
        self.emit({"type": self.name("conversation.item.added"), "previous_item_id": user,
                   "item": out})
        part = {"type": "text", "text": ""} if text_only else {"type": "audio", "transcript": ""}
        self.emit({"type": "response.content_part.added", "response_id": rid,
                   "item_id": assistant, "output_index": 0, "content_index": 0, "part": part})
        if not text_only:
            self.emit({"type": "output_audio_buffer.started", "response_id": rid})
            self.app_line("AudioTrack", "start playback, 24000 Hz mono")
        words = (_REPLY * 2)[: rng.randrange(14, 2 * len(_REPLY) + 1)]
        delta_type = self.name("response.output_text.delta" if text_only
                               else "response.output_audio_transcript.delta")
        for n, word in enumerate(words):
            self.emit({"type": delta_type, "response_id": rid, "item_id": assistant,
                       "output_index": 0, "content_index": 0, "delta": word,
                       "obfuscation": "".join(rng.choice(_ID)
                                              for _ in range(max(4, 16 - len(word))))}, 0.05)
            if self.audio and not text_only and n % 2 == 1:
                self.emit({"type": self.name("response.output_audio.delta"),
                           "response_id": rid, "item_id": assistant, "output_index": 0,
                           "content_index": 0, "delta": self.audio_b64}, 0.05)
            if n % 8 == 7:
                self.app_line("WebRtcAudioTrack", "underrun count 0, buffer 60 ms")
        transcript = "".join(words)
        if text_only:
            self.emit({"type": self.name("response.output_text.done"), "response_id": rid,
                       "item_id": assistant, "output_index": 0, "content_index": 0,
                       "text": transcript})
        else:
            self.emit({"type": self.name("response.output_audio.done"), "response_id": rid,
                       "item_id": assistant, "output_index": 0, "content_index": 0})
            self.emit({"type": self.name("response.output_audio_transcript.done"),
                       "response_id": rid, "item_id": assistant, "output_index": 0,
                       "content_index": 0, "transcript": transcript})
        done_part = {"type": "text", "text": transcript} if text_only else \
            {"type": "audio", "transcript": transcript}
        self.emit({"type": "response.content_part.done", "response_id": rid,
                   "item_id": assistant, "output_index": 0, "content_index": 0,
                   "part": done_part})
        finished = {**out, "status": "completed", "content": [
            {"type": "output_text", "text": transcript} if text_only else
            {"type": "output_audio", "transcript": transcript}]}
        if not self.beta:
            self.emit({"type": "conversation.item.done", "previous_item_id": user,
                       "item": finished})
        self.emit({"type": "response.output_item.done", "response_id": rid, "output_index": 0,
                   "item": finished})
        output = [finished]
        if calls:
            call_id, call_item = self._id("call"), self._id("item")
            call = {"id": call_item, "type": "function_call", "status": "in_progress",
                    "name": "lookup_bill", "call_id": call_id, "arguments": ""}
            self.emit({"type": "response.output_item.added", "response_id": rid,
                       "output_index": 1, "item": call})
            arguments = '{"account_id":"A-10442","month":"2026-11"}'
            for n in range(0, len(arguments), 3):
                self.emit({"type": "response.function_call_arguments.delta", "response_id": rid,
                           "item_id": call_item, "output_index": 1, "call_id": call_id,
                           "delta": arguments[n:n + 3]}, 0.01)
            self.emit({"type": "response.function_call_arguments.done", "response_id": rid,
                       "item_id": call_item, "output_index": 1, "call_id": call_id,
                       "name": "lookup_bill", "arguments": arguments})
            call = {**call, "status": "completed", "arguments": arguments}
            self.emit({"type": "response.output_item.done", "response_id": rid,
                       "output_index": 1, "item": call})
            output.append(call)
        usage = {"total_tokens": 850, "input_tokens": 795, "output_tokens": 55,
                 "input_token_details": {"text_tokens": 795, "audio_tokens": 0,
                                         "cached_tokens": 0},
                 "output_token_details": {"text_tokens": 17, "audio_tokens": 38}}
        self.emit({"type": "response.done", "response": {
            **response, "status": "completed", "output": output, "usage": usage}})
        self.emit({"type": "rate_limits.updated", "rate_limits": [
            {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
            {"name": "tokens", "limit": 200000, "remaining": 197759, "reset_seconds": 0.672}]})
        if calls:
            self.app_line("RealtimeClient", "tool lookup_bill -> ok (38 ms)")
            self.emit({"type": "conversation.item.create", "item": {
                "type": "function_call_output", "call_id": call_id,
                "output": '{"balance":42.0,"due":"2026-12-01"}'}}, direction="out")
            self.emit({"type": "response.create"}, direction="out")
        if not text_only:
            self.emit({"type": "output_audio_buffer.stopped", "response_id": rid}, 1.0)
            self.app_line("AudioTrack", "playback drained")


def _fill(path: Path, megabytes: int, make: Callable[[TextIO], Any]) -> int:
    limit = megabytes * 1024 * 1024
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = make(out)
        writer.session()
        k = 0
        while out.tell() < limit:
            k += 1
            writer.turn(k)
    return int(writer.events)


def _clean_ga(path: Path, megabytes: int) -> int:
    """The ``clean-ga`` shape: the corpus log's events, bare and untimed, repeated."""
    events = [json.loads(line)["event"] for line in CLEAN_GA.read_text().splitlines()]
    block = "".join(_dumps(event) + "\n" for event in events
                    if not event["type"].startswith("local."))
    limit, written, count = megabytes * 1024 * 1024, 0, 0
    per_block = block.count("\n")
    with open(path, "w", encoding="utf-8", newline="") as out:
        while written < limit:
            out.write(block)
            written += len(block)
            count += per_block
    return count


def generate(path: Path, megabytes: int, shape: str) -> int:
    """Write a log of ``shape`` of about ``megabytes`` MB to ``path``; the events in it."""
    if shape == "clean-ga":
        return _clean_ga(path, megabytes)
    makers: dict[str, Callable[[TextIO], Any]] = {
        "records": RecordWriter,
        "bare": AppWriter,
        "text": lambda out: AppWriter(out, text="logcat"),
        "bare-beta": lambda out: AppWriter(out, beta=True),
        "bare-crlf": lambda out: AppWriter(out, newline="\r\n"),
        "bare-audio": lambda out: AppWriter(out, audio=True),
        "console": lambda out: AppWriter(out, text="console"),
    }
    return _fill(path, megabytes, makers[shape])


def is_text(shape: str) -> bool:
    return shape in ("text", "console")


JSONL_BASELINE = ("import json, sys\n"
                  "for line in open(sys.argv[1], encoding='utf-8'):\n"
                  "    json.loads(line)\n")
TEXT_BASELINE = ("import json, sys\n"
                 "for line in open(sys.argv[1], encoding='utf-8'):\n"
                 "    start = line.find('{')\n"
                 "    if start != -1:\n"
                 "        try:\n"
                 "            json.loads(line[start:])\n"
                 "        except ValueError:\n"
                 "            pass\n")


def baseline_source(shape: str) -> str:
    return TEXT_BASELINE if is_text(shape) else JSONL_BASELINE
