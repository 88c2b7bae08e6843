"""Gemini Live logs for the doctor, and how they were made.

No recording of the real service was available offline, so each log is a conversation played
out here in the order Google's Live API reference gives (providers.md §2): ``setup`` then
``setupComplete``, the mic as ``realtimeInput.audio`` at 16 kHz, the model's turn as
``serverContent`` pieces (transcriptions, 24 kHz ``inlineData``, ``generationComplete``,
``turnComplete`` with its ``usageMetadata``), tools as ``toolCall``/``toolResponse``, the
connection's end as ``goAway``, ``sessionResumptionUpdate`` handles and a close 1011 "Deadline
expired". Frames come from :mod:`voicechat.protocol.gemini`'s builders, and every server frame
is checked against the official SDK's ``google.genai.types.LiveServerMessage`` (no undeclared
key) as it is written. A failure log then adds the one mistake users report (providers.md §11).

Closes are what an app logs of them: a line of its own in a text log, our client's notice and
link state in our records; a log of bare frames has nowhere to put one.

``EXPECTED`` is the exact set of doctor rule ids each log must trigger. Regenerate the committed
files (in ``tests/doctor/logs/``) with ``.venv/bin/python tests/doctor/gemini_corpus.py``.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.doctor.corpus import LOGS, START  # noqa: E402
from voicechat.protocol.gemini import client_messages as client  # noqa: E402
from voicechat.protocol.gemini import close_codes, names, spelling  # noqa: E402
from voicechat.protocol.gemini import server_messages as server  # noqa: E402

Frame = dict[str, Any]
#: 100 ms of 16 kHz mono PCM16 silence: what a mic chunk holds
MIC_CHUNK = base64.b64encode(bytes(3200)).decode()
#: 100 ms of 24 kHz: the model's audio, and a mic at 24 kHz
CHUNK_24K = base64.b64encode(bytes(4800)).decode()
WEATHER_TOOL = {"name": "get_weather", "description": "The weather in a city",
                "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}},
                               "required": ["city"]}}
DEADLINE = close_codes.DEADLINE_EXPIRED
MEDIA_CHUNKS_REASON = ("realtime_input.media_chunks is deprecated. Use audio, video, or text "
                       "instead.")


class GeminiLog:
    """One Gemini Live conversation's frames with times, and the closes the app saw."""

    def __init__(self, snake: bool = False) -> None:
        self.t = 0.0
        self.snake = snake  # the SDK's outer spelling (``realtime_input``, ``tool_response``)
        #: (time, direction, frame); a close is (time, "close", {"code", "reason"})
        self.records: list[tuple[float, str, Frame]] = []

    def wait(self, seconds: float) -> GeminiLog:
        self.t += seconds
        return self

    def send(self, frame: Frame) -> Frame:
        if self.snake:
            frame = {spelling.snake(key): value for key, value in frame.items()}
        self.records.append((self.t, "out", frame))
        self.t += 0.002
        return frame

    def hear(self, frame: Frame) -> Frame:
        # The SDK's types are loaded when a log is built, not when the tests import the
        # table (they cost a second to import).
        from tests.server.gemini.peers import sdk_problems

        problems = sdk_problems(spelling.canonical_keys(frame))
        assert not problems, (frame, problems)
        if self.snake:
            frame = {spelling.snake(key): value for key, value in frame.items()}
        self.records.append((self.t, "in", frame))
        self.t += 0.005
        return frame

    def close(self, code: int, reason: str) -> None:
        self.records.append((self.t, "close", {"code": code, "reason": reason}))

    # --- conversation pieces --------------------------------------------------------------

    def connect(self, *, resumable: bool = True, handle: str | None = None,
                tools: bool = False, model: str = names.DEFAULT_MODEL) -> None:
        self.send(client.setup(model, voice="Kore", tools=[WEATHER_TOOL] if tools else (),
                               resumable=resumable, resume_handle=handle))
        self.wait(0.25)
        self.hear(server.setup_complete())

    def speak(self, chunks: int = 5, rate: int = 16000, every: float = 0.1,
              chunk: str = MIC_CHUNK) -> None:
        """The mic streaming ``chunks`` chunks, one every ``every`` seconds."""
        for _ in range(chunks):
            self.send(client.audio(chunk, rate))
            self.wait(every - 0.002)

    def answer(self, heard: str, said: str, *, audio_chunks: int = 3,
               usage: dict[str, Any] | None = None) -> None:
        """The server's side of a turn: the user's words, the model's audio and words."""
        self.hear(server.input_transcription(heard))
        self.wait(0.4)
        for _ in range(audio_chunks):
            self.hear(server.model_audio(CHUNK_24K))
            self.wait(0.05)
        self.hear(server.output_transcription(said))
        self.hear(server.generation_complete())
        self.wait(0.2)
        self.hear(server.turn_complete(usage if usage is not None
                                       else server.usage(420, 96)))

    def resumption(self, handle: str) -> None:
        self.hear(server.resumption_update(handle, last_consumed_index=len(self.records)))

    # --- writers --------------------------------------------------------------------------

    def _stamp(self, t: float, fmt: str) -> str:
        ts = START + timedelta(seconds=t)
        return ts.strftime(fmt) + f"{ts.microsecond // 1000:03d}"

    def write_ours(self, path: Path) -> None:
        """Our records: blobs as their size and handles redacted, as the Gemini client
        records them (``protocol/gemini/records.py`` on the client's branch)."""
        lines = []
        for t, direction, frame in self.records:
            stamp = self._stamp(t, "%Y-%m-%dT%H:%M:%S.") + "Z"
            if direction == "close":
                info = close_codes.describe(frame["code"])
                message = (f"Gemini Live closed the connection with close code {frame['code']} "
                           f"({info.name}): {frame['reason']}. {info.meaning} Fix: {info.fix}")
                events = [("local", {"type": "local.notice", "level": "error",
                                     "message": message}),
                          ("local", {"type": "local.transport.state", "state": "closed"})]
            else:
                events = [(direction, _recorded(frame))]
            for where, event in events:
                lines.append(json.dumps({"t": round(t, 6), "ts": stamp, "dir": where,
                                         "event": event}, separators=(",", ":")))
        path.write_text("\n".join(lines) + "\n")

    def write_bare(self, path: Path) -> None:
        path.write_text("".join(json.dumps(frame) + "\n" for _, where, frame in self.records
                                if where != "close"))

    def write_prefixed(self, path: Path) -> None:
        """A Python app's logging: ``2026-11-21 10:00:00,123 INFO live: send {...}``."""
        out = []
        for t, where, frame in self.records:
            stamp = self._stamp(t, "%Y-%m-%d %H:%M:%S,")
            if where == "close":
                out.append(f"{stamp} WARNING live.session: WebSocket closed: "
                           f"code={frame['code']} reason={frame['reason']}")
                out.append(f"{stamp} INFO live.session: session ended")
                continue
            verb = "recv" if where == "in" else "send"
            out.append(f"{stamp} DEBUG live.session: {verb} {json.dumps(frame)}")
        path.write_text("\n".join(out) + "\n")

    def write_console(self, path: Path) -> None:
        """A browser's console: ``[10:00:00.123] live.js:42 received {...}``."""
        out = ["Navigated to http://localhost:5173/", "[vite] connected."]
        for t, where, frame in self.records:
            stamp = self._stamp(t, "%H:%M:%S.")
            if where == "close":
                out.append(f"[{stamp}] live.js:77 WebSocket closed {frame['code']} "
                           f"{frame['reason']}")
                continue
            verb = "received" if where == "in" else "sent"
            out.append(f"[{stamp}] live.js:42 {verb} {json.dumps(frame)}")
        path.write_text("\n".join(out) + "\n")


def _recorded(frame: Frame) -> Frame:
    """``frame`` as our records keep it: each blob's base64 as ``{"bytes": N}``, handles as
    ``[redacted]``."""
    if isinstance(frame, dict):
        out: Frame = {}
        for key, value in frame.items():
            if key == "data" and isinstance(value, str) and spelling.has(frame, "mimeType"):
                out[key] = {"bytes": len(base64.b64decode(value))}
            elif key in ("handle", "newHandle") and isinstance(value, str):
                out[key] = "[redacted]"
            else:
                out[key] = _recorded(value)
        return out
    if isinstance(frame, list):
        return [_recorded(item) for item in frame]
    return frame


# --- the logs ---------------------------------------------------------------------------------


def clean_ours(path: Path) -> GeminiLog:
    """A clean session in our records: two spoken turns, a tool round trip, the connection's
    end (goAway) resumed with the newest handle, and a turn whose usageMetadata is empty."""
    log = GeminiLog()
    log.connect(tools=True)
    log.resumption("h-001")
    log.speak()
    log.answer("What's the weather in Paris?", "Let me check.")
    log.hear(server.tool_call([("call-1", "get_weather", {"city": "Paris"})]))
    log.wait(0.6)
    log.send(client.tool_response([("call-1", "get_weather", {"forecast": "sunny, 21°C"})]))
    log.wait(0.3)
    log.answer("", "It is sunny and 21 degrees in Paris.", usage={})
    log.resumption("h-002")
    log.wait(20.0)
    log.hear(server.go_away(50))
    log.wait(1.0)
    log.connect(handle="h-002")
    log.resumption("h-003")
    log.speak()
    log.answer("Thanks!", "You're welcome.")
    log.write_ours(path)
    return log


def clean_sdk_bare(path: Path) -> GeminiLog:
    """Bare frames in the SDK's spelling (``realtime_input``, ``server_content``): a turn, a
    call the user interrupted (withdrawn by toolCallCancellation, so never answered)."""
    log = GeminiLog(snake=True)
    log.connect(tools=True)
    log.speak()
    log.answer("Weather in Oslo?", "Checking.")
    log.hear(server.tool_call([("call-7", "get_weather", {"city": "Oslo"})]))
    log.speak(3)
    log.hear(server.interrupted())
    log.hear(server.tool_call_cancellation(["call-7"]))
    log.answer("Never mind.", "Okay.")
    log.write_bare(path)
    return log


def tool_call_unanswered_bare(path: Path) -> GeminiLog:
    """The app runs the tool but never sends the toolResponse: the model waits."""
    log = GeminiLog()
    log.connect(tools=True)
    log.speak()
    log.answer("What's the weather in Rome?", "One moment.")
    log.hear(server.tool_call([("fc-42", "get_weather", {"city": "Rome"})]))
    log.speak(8)
    log.write_bare(path)
    return log


def go_away_not_resumed_prefixed(path: Path) -> GeminiLog:
    """A Python app that never asked for resumption: goAway, then close 1011 at the deadline,
    and the conversation ends there."""
    log = GeminiLog()
    log.connect(resumable=False)
    log.speak()
    log.answer("Tell me a story.", "Once upon a time...")
    log.wait(540.0)
    log.hear(server.go_away(50))
    log.speak(3)
    log.wait(50.0)
    log.close(close_codes.INTERNAL_ERROR, DEADLINE)
    log.write_prefixed(path)
    return log


def stale_handle_bare(path: Path) -> GeminiLog:
    """Resumed with the first handle it kept instead of the newest (written bare-handled: a
    foreign app's log keeps its handles, so the rule can compare them)."""
    log = GeminiLog()
    log.connect()
    log.resumption("h-aaa")
    log.speak()
    log.answer("Hello", "Hi there!")
    log.resumption("h-bbb")
    log.wait(30.0)
    log.hear(server.go_away(40))
    log.wait(0.5)
    log.connect(handle="h-aaa")
    log.write_bare(path)
    return log


def media_chunks_console(path: Path) -> GeminiLog:
    """A browser app still on the legacy ``mediaChunks``: the service closes 1007."""
    log = GeminiLog()
    log.connect()
    log.send({names.REALTIME_INPUT: {names.MEDIA_CHUNKS: [
        {"mimeType": "audio/pcm;rate=16000", "data": MIC_CHUNK}]}})
    log.wait(0.08)
    log.close(close_codes.INVALID_PAYLOAD, MEDIA_CHUNKS_REASON)
    log.write_console(path)
    return log


def not_a_live_model_prefixed(path: Path) -> GeminiLog:
    """A model that does not do Live: the service closes 1008 right after setup."""
    log = GeminiLog()
    log.send(client.setup("gemini-2.0-flash"))
    log.wait(0.3)
    log.close(close_codes.POLICY_VIOLATION, "models/gemini-2.0-flash is not found for API "
              "version v1beta, or is not supported for bidiGenerateContent.")
    log.write_prefixed(path)
    return log


def rate_mismatch_ours(path: Path) -> GeminiLog:
    """24 kHz mic audio labelled 16 kHz: 4800 bytes every 100 ms for 8 s."""
    log = GeminiLog()
    log.connect()
    log.speak(80, rate=16000, chunk=CHUNK_24K)
    log.answer("...", "Sorry, I didn't catch that.")
    log.write_ours(path)
    return log


BUILDERS: dict[str, Callable[[Path], GeminiLog]] = {
    "gemini_clean.jsonl": clean_ours,
    "gemini_clean_sdk_bare.jsonl": clean_sdk_bare,
    "gemini_tool_call_unanswered_bare.jsonl": tool_call_unanswered_bare,
    "gemini_go_away_not_resumed.log": go_away_not_resumed_prefixed,
    "gemini_stale_handle_bare.jsonl": stale_handle_bare,
    "gemini_media_chunks_console.log": media_chunks_console,
    "gemini_not_a_live_model.log": not_a_live_model_prefixed,
    "gemini_rate_mismatch.jsonl": rate_mismatch_ours,
}

EXPECTED: dict[str, set[str]] = {
    "gemini_clean.jsonl": set(),
    "gemini_clean_sdk_bare.jsonl": set(),
    "gemini_tool_call_unanswered_bare.jsonl": {"gemini-tool-call-unanswered"},
    "gemini_go_away_not_resumed.log": {"gemini-go-away-not-resumed"},
    "gemini_stale_handle_bare.jsonl": {"gemini-resume-stale-handle"},
    "gemini_media_chunks_console.log": {"gemini-closed-with-error"},
    "gemini_not_a_live_model.log": {"gemini-closed-with-error"},
    "gemini_rate_mismatch.jsonl": {"gemini-audio-rate-mismatch"},
}


def main() -> None:
    LOGS.mkdir(exist_ok=True)
    for name, build in BUILDERS.items():
        build(LOGS / name)
    print(f"wrote {len(BUILDERS)} Gemini Live logs to {LOGS}")


if __name__ == "__main__":
    main()
