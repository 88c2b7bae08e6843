"""A Pipecat voice pipeline against our local server; prints what happened as one JSON line.

Run by tests/foreign/test_pipecat.py with the python of ``.venv-pipecat`` (pipecat-ai needs
``protobuf<7``, which clashes with ours, so it has its own environment: see scripts/setup.sh),
never imported by the suite itself. It is the pipeline a Pipecat developer writes around
``OpenAIRealtimeLLMService`` (WebSocket: Pipecat has no WebRTC client for OpenAI Realtime),
with a function registered and declared in the context, the context aggregators on both
sides, and no transport: this script is the transport, putting microphone frames in and
taking what comes out.

    python pipecat_agent.py WS_URL SCENARIO [--text TEXT] [--speech WAV] [--replies N]

SCENARIO:
  typed  the context holds a user message (TEXT) and ``LLMRunFrame`` runs it, as an app
         starts a conversation; waits for ``--replies`` responses
  audio  ``LLMRunFrame`` on an empty context (the greeting), then the WAV (24 kHz mono int16)
         said into the microphone after a second of silence, silence after it, in real
         time; the server's VAD ends the turn
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import wave
from typing import Any

from driver_report import run_and_report  # beside this script: its folder is on sys.path
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import (
    EndFrame,
    ErrorFrame,
    Frame,
    FunctionCallInProgressFrame,
    FunctionCallResultFrame,
    InputAudioRawFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMRunFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSTextFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import FunctionCallParams
from pipecat.services.openai.realtime import events
from pipecat.services.openai.realtime.llm import OpenAIRealtimeLLMService
from pipecat.workers.runner import WorkerRunner

RATE = 24000
FRAME = RATE // 50  # 20 ms

WEATHER = FunctionSchema(
    name="get_weather",
    description="The current weather in a city.",
    properties={"city": {"type": "string", "description": "The city's name."}},
    required=["city"],
)


class Timeline:
    """What the pipeline saw, in order: the JSON the test reads."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self._text: list[str] = []
        self._audio_bytes = 0

    def add(self, kind: str, **fields: Any) -> None:
        self.entries.append({"kind": kind, **fields})
        self.changed.set()

    def frame(self, frame: Frame) -> None:
        if isinstance(frame, LLMFullResponseStartFrame):
            self._text, self._audio_bytes = [], 0
        elif isinstance(frame, TTSTextFrame):
            self._text.append(frame.text)
        elif isinstance(frame, TTSAudioRawFrame):
            self._audio_bytes += len(frame.audio)
        elif isinstance(frame, LLMFullResponseEndFrame):
            self.add("response", text="".join(self._text).strip(),
                     audio_seconds=round(self._audio_bytes / 2 / RATE, 3))
        elif isinstance(frame, FunctionCallInProgressFrame):
            self.add("function_call", name=frame.function_name, arguments=frame.arguments)
        elif isinstance(frame, FunctionCallResultFrame):
            self.add("function_call_output", name=frame.function_name, output=frame.result)
        elif isinstance(frame, TranscriptionFrame):
            self.add("user_transcript", text=frame.text)
        elif isinstance(frame, ErrorFrame):
            self.add("error", message=frame.error)

    def count(self, kind: str) -> int:
        return sum(1 for e in self.entries if e["kind"] == kind)

    async def until(self, kind: str, n: int) -> None:
        while self.count(kind) < n:
            if errors := [e for e in self.entries if e["kind"] == "error"]:
                raise RuntimeError(f"the agent got an error: {errors[0]['message']}")
            self.changed.clear()
            await self.changed.wait()


class Recorder(FrameProcessor):
    """Notes the frames passing one way through its place in the pipeline.

    Downstream of the service go its answers and its function calls; upstream, the user's
    transcripts (function call frames go both ways, so they are noted downstream only).
    """

    def __init__(self, timeline: Timeline, direction: FrameDirection,
                 kinds: tuple[type[Frame], ...] = (Frame,)) -> None:
        super().__init__()
        self._timeline = timeline
        self._direction = direction
        self._kinds = kinds

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == self._direction and isinstance(frame, self._kinds):
            self._timeline.frame(frame)
        await self.push_frame(frame, direction)


class RecordedRealtime(OpenAIRealtimeLLMService):
    """Pipecat's service, with the client events it sends kept for the report."""

    def __init__(self, sent: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sent = sent

    async def send_client_event(self, event: Any) -> None:
        if event.type != "input_audio_buffer.append":
            self._sent.append(event.model_dump(exclude_none=True, exclude={"event_id"}))
        await super().send_client_event(event)


async def get_weather(params: FunctionCallParams) -> None:
    await params.result_callback(f"sunny and 21 degrees in {params.arguments['city']}")


def read_speech(path: str) -> bytes:
    with wave.open(path, "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (RATE, 1, 2):
            sys.exit(f"{path}: needs 24 kHz mono 16-bit audio")
        return wav.readframes(wav.getnframes())


async def microphone(worker: PipelineWorker, speech: bytes) -> None:
    """A second of silence, the speech, then silence, 20 ms at a time in real time."""
    pcm = bytes(RATE * 2) + speech
    start = time.monotonic()
    for n in range(1_000_000):
        chunk = pcm[n * FRAME * 2:(n + 1) * FRAME * 2]
        chunk += bytes(FRAME * 2 - len(chunk))
        await worker.queue_frame(InputAudioRawFrame(audio=chunk, sample_rate=RATE,
                                                    num_channels=1))
        await asyncio.sleep(max(0.0, start + (n + 1) * FRAME / RATE - time.monotonic()))


async def scenario(args: argparse.Namespace, report: dict[str, Any]) -> None:
    timeline = Timeline()
    report["timeline"] = timeline.entries
    report["sent"] = sent = []
    # transcription of the user's speech is off unless asked for, as on OpenAI
    session = events.SessionProperties(audio=events.AudioConfiguration(
        input=events.AudioInput(transcription=events.InputAudioTranscription())))
    llm = RecordedRealtime(sent, api_key="sk-local", base_url=args.url,
                           settings=OpenAIRealtimeLLMService.Settings(
                               system_instruction="You are a weather assistant. Be brief.",
                               session_properties=session))
    llm.register_function("get_weather", get_weather)
    messages: list[Any] = []
    if args.scenario == "typed":
        messages.append({"role": "user", "content": args.text})
    context = LLMContext(messages, tools=ToolsSchema(standard_tools=[WEATHER]))
    aggregators = LLMContextAggregatorPair(context)
    pipeline = Pipeline([
        aggregators.user(),  # it takes the user's transcripts in: they are noted before it
        Recorder(timeline, FrameDirection.UPSTREAM, (TranscriptionFrame, ErrorFrame)),
        llm,
        Recorder(timeline, FrameDirection.DOWNSTREAM),
        aggregators.assistant(),
    ])
    worker = PipelineWorker(pipeline, params=PipelineParams(
        audio_in_sample_rate=RATE, audio_out_sample_rate=RATE), cancel_on_idle_timeout=False)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    running = asyncio.create_task(runner.run())
    mic: asyncio.Task[None] | None = None
    try:
        # the context's first run: Pipecat's service sets the conversation up with it (its
        # examples queue this when the user connects, for a greeting)
        await worker.queue_frame(LLMRunFrame())
        if args.scenario == "audio":
            await timeline.until("response", 1)
            mic = asyncio.create_task(microphone(worker, read_speech(args.speech)))
        await timeline.until("response", args.replies)
    finally:
        if mic is not None:
            mic.cancel()
        await worker.queue_frame(EndFrame())
        await running


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the server's WebSocket URL, ws://127.0.0.1:8765/v1/realtime")
    parser.add_argument("scenario", choices=["typed", "audio"])
    parser.add_argument("--text", default="What is the weather in Paris?")
    parser.add_argument("--speech", help="a 24 kHz mono WAV to say into the microphone")
    parser.add_argument("--replies", type=int, default=1, help="responses to wait for")
    parser.add_argument("--timeout", type=float, default=30.0)
    await run_and_report(scenario, parser.parse_args())


if __name__ == "__main__":
    asyncio.run(main())
