"""A LiveKit Agents voice agent against our local server; prints what happened as one JSON line.

Run by tests/foreign/test_livekit.py with the python of ``.venv-livekit`` (livekit-agents pins
``livekit==1.1.21``, which clashes with ours, so it has its own environment: see
scripts/setup.sh), never imported by the suite itself. It is the agent a LiveKit developer
writes: an ``AgentSession`` over ``livekit.plugins.openai.realtime.RealtimeModel`` with its
defaults (WebSocket, semantic VAD, transcription on), an ``Agent`` with a ``@function_tool``,
and no room: the session's audio input and output are set directly (``session.input.audio``,
``session.output.audio``), as LiveKit's console mode does, so the test needs no LiveKit server.

    python livekit_agent.py URL SCENARIO [--speech WAV] [--replies N]

SCENARIO:
  typed      ``session.run(user_input=TEXT)``, after a bare ``generate_reply()`` (a greeting)
             with ``--greet``
  audio      the WAV (24 kHz mono int16) said into the mic after a second of silence; the mic
             then stays silent until ``--replies`` answers have been said
  interrupt  a typed question, and the WAV said over the answer once 3.5 s of it has played:
             LiveKit turns the first 3 s of the agent's speech in a session into silence
             before sending it (``aec_warmup_duration``, so that echo cannot interrupt while a
             room's echo canceller adapts), and it is left at its default here

The speaker plays in real time (an answer's audio takes as long as it lasts, and a
``clear_buffer`` stops it where it is), so LiveKit's interruption and truncation run as they
would with a person listening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import wave
from typing import Any

from driver_report import run_and_report  # beside this script: its folder is on sys.path
from livekit import rtc
from livekit.agents import Agent, AgentSession, RunContext, function_tool, llm
from livekit.agents.voice import io
from livekit.plugins.openai.realtime import RealtimeModel

RATE = 24000
FRAME = RATE // 50  # 20 ms, a microphone's usual block


class Timeline:
    """What the agent saw, in order: the JSON the test reads."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def add(self, kind: str, **fields: Any) -> None:
        self.entries.append({"kind": kind, **fields})
        self.changed.set()

    def count(self, kind: str, **match: Any) -> int:
        return sum(1 for e in self.entries
                   if e["kind"] == kind and all(e.get(k) == v for k, v in match.items()))

    async def until(self, kind: str, n: int, **match: Any) -> None:
        while self.count(kind, **match) < n:
            if errors := [e for e in self.entries if e["kind"] == "error"]:
                raise RuntimeError(f"the agent got an error: {errors[0]['message']}")
            self.changed.clear()
            await self.changed.wait()


class Microphone(io.AudioInput):
    """Silence in real time, 20 ms at a time, with speech said into it on demand."""

    def __init__(self) -> None:
        super().__init__(label="test microphone")
        self._pending = bytearray()
        self._next = 0.0

    def say(self, pcm: bytes) -> None:
        self._pending += pcm

    async def __anext__(self) -> rtc.AudioFrame:
        now = time.monotonic()
        self._next = max(self._next + FRAME / RATE, now) if self._next else now
        await asyncio.sleep(max(0.0, self._next - now))
        chunk = bytes(self._pending[: FRAME * 2])
        del self._pending[: FRAME * 2]
        chunk += bytes(FRAME * 2 - len(chunk))
        return rtc.AudioFrame(data=chunk, sample_rate=RATE, num_channels=1,
                              samples_per_channel=FRAME)


class Speaker(io.AudioOutput):
    """Plays in real time: a segment ends when its audio would have finished, or is cut."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(label="test speaker", capabilities=io.AudioOutputCapabilities(pause=False),
                         sample_rate=RATE)
        self._timeline = timeline
        self._pushed = 0.0
        self._started: float | None = None
        self._playout: asyncio.Task[None] | None = None
        self.playing = asyncio.Event()

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._started is None:
            self._started = time.monotonic()
            self.on_playback_started(created_at=time.time())
            self.playing.set()
        self._pushed += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._started is not None:
            self._playout = asyncio.create_task(self._play_out())

    def clear_buffer(self) -> None:
        if self._started is None:
            return
        if self._playout is not None:
            self._playout.cancel()
        played = min(time.monotonic() - self._started, self._pushed)
        self._finish(played, interrupted=True)

    async def _play_out(self) -> None:
        assert self._started is not None
        await asyncio.sleep(max(0.0, self._started + self._pushed - time.monotonic()))
        self._finish(self._pushed, interrupted=False)

    def _finish(self, played: float, *, interrupted: bool) -> None:
        self._timeline.add("played", seconds=round(played, 3), of=round(self._pushed, 3),
                           interrupted=interrupted)
        self._pushed, self._started, self._playout = 0.0, None, None
        self.playing.clear()
        self.on_playback_finished(playback_position=played, interrupted=interrupted)


class WeatherAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are a weather assistant. Be brief.")

    @function_tool
    async def get_weather(self, context: RunContext, city: str) -> str:
        """The current weather in a city.

        Args:
            city: The city's name.
        """
        return f"sunny and 21 degrees in {city}"


class RecordedModel(RealtimeModel):
    """LiveKit's model, with the raw events of its Realtime session kept for the report.

    ``openai_client_event_queued`` and ``openai_server_event_received`` are the session's
    documented hooks for them. Audio appends and deltas are left out (too many to read).
    """

    def __init__(self, wire: dict[str, list[Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._wire = wire

    def session(self, *, turn_detection_disabled: bool = False) -> Any:
        sess = super().session(turn_detection_disabled=turn_detection_disabled)
        sent, received = self._wire["sent"], self._wire["received"]

        def queued(ev: dict[str, Any]) -> None:
            if ev.get("type") != "input_audio_buffer.append":
                sent.append({k: v for k, v in ev.items() if k != "event_id"})

        def got(ev: dict[str, Any]) -> None:
            kind = ev.get("type", "")
            if kind == "error":
                received.append({"type": kind, "error": ev.get("error")})
            elif kind == "response.done":
                received.append({"type": kind, "status": ev["response"].get("status")})
            elif not kind.endswith(".delta"):
                received.append({"type": kind})

        sess.on("openai_client_event_queued", queued)
        sess.on("openai_server_event_received", got)
        return sess


def record_session(session: AgentSession, timeline: Timeline) -> None:
    def item_added(ev: Any) -> None:
        item = ev.item
        if isinstance(item, llm.ChatMessage):
            timeline.add("message", role=item.role, text=item.text_content or "",
                         interrupted=item.interrupted)

    def tools_executed(ev: Any) -> None:
        for call, output in ev.zipped():
            timeline.add("function_call", name=call.name, arguments=json.loads(call.arguments))
            timeline.add("function_call_output", name=output.name, output=output.output,
                         is_error=output.is_error)

    def transcribed(ev: Any) -> None:
        if ev.is_final:
            timeline.add("user_transcript", text=ev.transcript)

    def error(ev: Any) -> None:
        timeline.add("error", message=str(getattr(ev.error, "error", ev.error)))

    session.on("conversation_item_added", item_added)
    session.on("function_tools_executed", tools_executed)
    session.on("user_input_transcribed", transcribed)
    session.on("error", error)


def run_events(result: Any) -> list[dict[str, Any]]:
    """``session.run``'s own record of a turn (LiveKit's testing API), as plain entries."""
    out: list[dict[str, Any]] = []
    for ev in result.events:
        item = ev.item
        if ev.type == "message":
            out.append({"kind": "message", "role": item.role, "text": item.text_content or ""})
        elif ev.type == "function_call":
            out.append({"kind": "function_call", "name": item.name,
                        "arguments": json.loads(item.arguments)})
        elif ev.type == "function_call_output":
            out.append({"kind": "function_call_output", "name": item.name,
                        "output": item.output, "is_error": item.is_error})
        else:
            out.append({"kind": ev.type})
    return out


def read_speech(path: str) -> bytes:
    with wave.open(path, "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (RATE, 1, 2):
            sys.exit(f"{path}: needs 24 kHz mono 16-bit audio")
        return wav.readframes(wav.getnframes())


async def scenario(args: argparse.Namespace, report: dict[str, Any]) -> None:
    timeline = Timeline()
    report["timeline"] = timeline.entries
    wire: dict[str, list[Any]] = {"sent": [], "received": []}
    report["wire"] = wire
    model = RecordedModel(wire, base_url=args.url, api_key="sk-local")
    mic, speaker = Microphone(), Speaker(timeline)
    async with AgentSession(llm=model) as session:
        record_session(session, timeline)
        session.input.audio = mic
        session.output.audio = speaker
        await session.start(WeatherAgent())
        if args.scenario == "typed":
            if args.greet:
                await session.generate_reply()
                await timeline.until("played", 1)
            result = await session.run(user_input=args.text)
            report["run"] = run_events(result)
            await timeline.until("played", args.replies)
        elif args.scenario == "audio":
            await asyncio.sleep(1.0)
            mic.say(read_speech(args.speech))
            await timeline.until("message", args.replies, role="assistant")
            await timeline.until("played", args.replies)
        elif args.scenario == "interrupt":
            session.generate_reply(user_input=args.text)
            await speaker.playing.wait()
            await asyncio.sleep(3.5)
            mic.say(read_speech(args.speech))
            await timeline.until("message", args.replies, role="assistant")
            await timeline.until("played", args.replies)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:8765/v1")
    parser.add_argument("scenario", choices=["typed", "audio", "interrupt"])
    parser.add_argument("--text", default="What is the weather in Paris?")
    parser.add_argument("--greet", action="store_true", help="typed: greet first")
    parser.add_argument("--speech", help="a 24 kHz mono WAV to say into the microphone")
    parser.add_argument("--replies", type=int, default=1, help="answers to wait for")
    parser.add_argument("--timeout", type=float, default=30.0)
    await run_and_report(scenario, parser.parse_args())


if __name__ == "__main__":
    asyncio.run(main())
