"""One scenario, run as a real conversation through the line face's runtime, turn by turn.

The runner is a person with a mouth and an ear on the run's real-time clock: it picks the API
family's runtime (:mod:`voicechat.families`), gives it the scripted mic and the virtual speaker
(:mod:`voicechat.voicetest.audio`) instead of sound devices, and for each turn

1. waits for its moment: after the previous answer was heard whole (the family's end watch
   says nothing answers or plays, for :data:`SETTLE_S`), or, for a turn with
   ``interrupt_after_ms``, that long after the previous answer's first audible frame on the
   virtual speaker, while it still plays;
2. says it: typed text is sent as the line face sends a typed line; spoken turns go into the
   mic in real time (their audio was made before connecting);
3. waits for the answer: a new answer counted by the family after the input ended, then
   quiet again; or, when the next turn interrupts it, only its first audio;
4. judges what the turn's window caught (:mod:`voicechat.voicetest.observe`) with
   :func:`voicechat.scenario.checks.check_turn`; a failed turn does not stop the run (later
   turns still say what they can), a turn with no answer in ``turn_timeout`` does.

Times are the event loop's (``loop.time()``): the mic's onsets, the speaker's spans and the
runner's waits share one clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from voicechat.audio.files import write_wav
from voicechat.audio.playback import Int16Array
from voicechat.audio.ports import AudioPorts
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.families import Family
from voicechat.rtc.pacer import pacer_for
from voicechat.scenario.checks import Judgement, ObservedTurn, check_turn
from voicechat.scenario.spec import Scenario, Turn
from voicechat.voicetest.audio import ScriptedMic, VirtualSpeaker
from voicechat.voicetest.observe import TurnObserver, TurnWindow
from voicechat.voicetest.results import RunResult, TurnResult

#: how long the conversation must stay quiet before a turn's answer counts as heard whole
SETTLE_S = 0.4
POLL_S = 0.02
DEFAULT_TURN_TIMEOUT_S = 30.0


class JudgeLike(Protocol):
    async def judge(self, intent: str, reply: str, heard: str) -> Judgement: ...


@dataclass(frozen=True)
class RunOptions:
    turn_timeout_s: float = DEFAULT_TURN_TIMEOUT_S
    judge: JudgeLike | None = None
    #: where this run's files go (the event log always; audio and the doctor's report with
    #: ``keep``); the caller makes the folder
    folder: Path | None = None
    keep: bool = False
    #: the doctor, run on the event log when the scenario asks for ``doctor: clean``
    doctor: Callable[[Path], list[str]] | None = None
    #: told of each turn as it is answered (its index, the turn, its first audio in ms as the
    #: speaker heard it, or ``None``): ``-v``'s progress within a scenario, which showed
    #: nothing until the whole scenario was over (issue 79); the verdicts come at the end
    on_turn: Callable[[int, Turn, float | None], None] | None = None
    #: given every record of the conversation as it happens (``voicechat load`` holds them,
    #: and writes the log of a conversation that failed: it records no file per caller)
    on_record: Callable[[LogRecord], None] | None = None


class TurnFailed(Exception):
    """A turn could not be run to its end; the run stops there."""


async def run_scenario(scenario: Scenario, settings: Settings, family: Family,
                       audio: dict[int, Int16Array], options: RunOptions) -> RunResult:
    """Run ``scenario`` once against ``settings`` (already made for it: no UI, its tools, its
    session, ``record`` set to the event log's path); ``audio``: each spoken turn's mic
    audio by index."""
    result = RunResult(scenario.name, scenario.file)
    began = time.monotonic()
    lines, _ = family.lines(settings)
    runtime: Any = lines.runtime
    mic = ScriptedMic(keep=options.keep)
    speakers: list[VirtualSpeaker] = []

    def speaker_for(buffer: Any) -> VirtualSpeaker:
        speakers.append(VirtualSpeaker(buffer, keep=options.keep))
        return speakers[-1]

    runtime.audio_ports = AudioPorts(mic=mic, speaker=speaker_for)
    watch = lines.end_watch(None)
    observer = TurnObserver()
    runtime.subscribe(observer.record)
    if options.on_record is not None:
        runtime.subscribe(options.on_record)
    try:
        try:
            await runtime.start()
        except Exception as exc:
            result.outcome = "error"
            result.error = f"could not start the conversation: {exc}"
            return result
        driver = _Driver(runtime, watch, mic, speakers[0], observer, options)
        # the local server hears through a grammar of the say: lines: a recording's words are
        # not in it, so what it "heard" of one is a guess
        driver.recordings_guessed = settings.is_local and settings.local_asr_phrases is not None
        await driver.run(scenario, audio, result)
    finally:
        with contextlib.suppress(Exception):
            await runtime.stop()
        result.duration_s = time.monotonic() - began
    _finish(scenario, result, options, mic, speakers)
    return result


class _Driver:
    def __init__(self, runtime: Any, watch: Any, mic: ScriptedMic, speaker: VirtualSpeaker,
                 observer: TurnObserver, options: RunOptions) -> None:
        self.runtime = runtime
        self.watch = watch
        self.mic = mic
        self.speaker = speaker
        self.observer = observer
        self.options = options
        self.loop = asyncio.get_running_loop()
        self.recordings_guessed = False

    async def run(self, scenario: Scenario, audio: dict[int, Int16Array],
                  result: RunResult) -> None:
        """Every turn in order; each is judged once the run is over, when an answer that a
        later turn cut has finished in its own window too."""
        turns = scenario.turns
        said: list[tuple[Turn, TurnWindow, float, float]] = []
        previous_input_end: float | None = None
        problem: tuple[Turn, TurnWindow, str] | None = None
        for index, turn in enumerate(turns):
            interrupts_next = index + 1 < len(turns) and \
                turns[index + 1].interrupt_after_ms is not None
            # a turn that fails before its window begins caught nothing: it must not carry
            # the previous turn's reply, calls and first audio (issue 79)
            window = TurnWindow()
            try:
                if turn.interrupt_after_ms is not None:
                    await self._wait_to_interrupt(previous_input_end, turn.interrupt_after_ms)
                window = self.observer.begin(interrupting=turn.interrupt_after_ms is not None)
                onset, input_end = await self._say(turn, audio.get(index))
                if interrupts_next:
                    await self._wait_for_audio(input_end)
                else:
                    await self._wait_for_answer(input_end)
            except TurnFailed as exc:
                problem = (turn, window, str(exc))
                result.not_run = len(turns) - index - 1
                break
            said.append((turn, window, onset, input_end))
            if self.options.on_turn is not None:
                first = self.speaker.first_audio_after(input_end)
                self.options.on_turn(index, turn, None if first is None
                                     else (first - input_end) * 1000.0)
            previous_input_end = input_end
            if turn.silence_ms:
                await asyncio.sleep(turn.silence_ms / 1000.0)
        for turn, window, onset, input_end in said:
            result.turns.append(await self._judged(turn, window, onset, input_end))
        if problem is not None:
            turn, window, why = problem
            result.turns.append(TurnResult(turn, self._seen(window, None, None), (),
                                           heard=_heard(turn, window),
                                           latency=window.latency, problem=why,
                                           heard_reliable=self._heard_reliable(turn)))

    # --- one turn --------------------------------------------------------------------------------

    async def _say(self, turn: Turn, pcm: Int16Array | None) -> tuple[float, float]:
        """Send the turn; its onset and the end of its input on the loop's clock."""
        if turn.kind == "type":
            self.runtime.send_text(turn.content)
            now = self.loop.time()
            return now, now
        assert pcm is not None
        said = self.mic.say(pcm)
        limit = pcm.size / 48000 + self.options.turn_timeout_s
        try:
            spoken = await asyncio.wait_for(asyncio.shield(said), limit)
        except TimeoutError:
            raise TurnFailed("the mic did not finish saying the turn (the runtime stopped "
                             "reading it)") from None
        return spoken.onset, spoken.end

    async def _wait_to_interrupt(self, since: float | None, after_ms: float) -> None:
        first = self.speaker.first_audio_after(since) if since is not None else None
        if first is None:
            raise TurnFailed("nothing to interrupt: the previous answer never sounded")
        await self._until(first + after_ms / 1000.0)
        if not self.speaker.playing:
            ended = self.speaker.last_stop()
            lasted = "" if ended is None else f" {(ended - first) * 1000.0:.0f} ms after it began"
            raise TurnFailed(f"nothing to interrupt: the previous answer had ended{lasted}, "
                             f"before interrupt_after_ms ({after_ms:g} ms); give a smaller "
                             "interrupt_after_ms, or ask for a longer answer")

    async def _wait_for_audio(self, since: float) -> None:
        deadline = self.loop.time() + self.options.turn_timeout_s
        while self.speaker.first_audio_after(since) is None:
            self._check_alive()
            if self.loop.time() > deadline:
                raise TurnFailed(f"no audio came back within "
                                 f"{self.options.turn_timeout_s:g} s")
            await self._until(self.loop.time() + POLL_S)

    async def _wait_for_answer(self, since: float) -> None:
        """A new answer (counted by the family) after the input, then quiet for SETTLE_S (the
        family's own idle: nothing answers, no tool call waits, its playback drained; the
        virtual speaker's span, which waits out pauses inside an answer, would add its 0.6 s
        to every turn)."""
        before = self.watch.turns_done()
        deadline = self.loop.time() + self.options.turn_timeout_s
        quiet_since: float | None = None
        while True:
            self._check_alive()
            now = self.loop.time()
            answered = self.watch.turns_done() > before
            if answered and self.watch.idle():
                quiet_since = now if quiet_since is None else quiet_since
                if now - quiet_since >= SETTLE_S:
                    return
            else:
                quiet_since = None
            if now > deadline:
                what = "its answer did not end" if answered else "no answer"
                raise TurnFailed(f"{what} within {self.options.turn_timeout_s:g} s "
                                 "(--turn-timeout)")
            await self._until(now + POLL_S)

    def _check_alive(self) -> None:
        ending = self.watch.check()
        if ending is not None and ending.exit_code:
            raise TurnFailed(f"the conversation ended: {ending.message}")
        if self.runtime.finished.is_set():
            raise TurnFailed("the conversation ended (the connection closed)")

    async def _until(self, t: float) -> None:
        if t > self.loop.time():
            await pacer_for(self.loop).wait(t)

    # --- verdicts --------------------------------------------------------------------------------

    async def _judged(self, turn: Turn, window: TurnWindow, onset: float,
                      input_end: float) -> TurnResult:
        seen = self._seen(window, onset, input_end)
        judgement = None
        reply_check = turn.expect.reply
        if reply_check is not None and reply_check.judge and self.options.judge is not None:
            judgement = await self.options.judge.judge(reply_check.judge, seen.reply,
                                                       " ".join(window.heard))
        verdicts = tuple(check_turn(turn.expect, seen, judgement))
        return TurnResult(turn, seen, verdicts, heard=_heard(turn, window),
                          heard_reliable=self._heard_reliable(turn),
                          latency=window.latency)

    def _heard_reliable(self, turn: Turn) -> bool:
        return not (self.recordings_guessed and turn.kind == "audio")

    def _seen(self, window: TurnWindow, onset: float | None,
              input_end: float | None) -> ObservedTurn:
        first_ms = None
        if window.latency is not None and isinstance(window.latency.get("first_audio_ms"),
                                                     int | float):
            first_ms = float(window.latency["first_audio_ms"])
        elif input_end is not None:
            first = self.speaker.first_audio_after(input_end)
            first_ms = None if first is None else (first - input_end) * 1000.0
        stop_ms = None
        if window.cut and onset is not None:
            stop = self.speaker.stopped_after(onset)
            stop_ms = None if stop is None else max(0.0, (stop - onset) * 1000.0)
        return ObservedTurn(reply=window.reply, superseded=tuple(window.superseded),
                            calls=tuple(window.calls),
                            first_audio_ms=first_ms, interrupted=bool(window.cut),
                            stop_ms=stop_ms, caller_heard=window.caller_heard)


def _heard(turn: Turn, window: TurnWindow) -> str:
    """What the server transcribed of the turn's speech; nothing for a typed turn on every
    family (GPT-Live and Gemini Live log the typed text as the user's turn, Realtime has no
    transcript of it: the JSON differed by family, issue 79)."""
    return "" if turn.kind == "type" else " ".join(window.heard)


def _finish(scenario: Scenario, result: RunResult, options: RunOptions, mic: ScriptedMic,
            speakers: list[VirtualSpeaker]) -> None:
    """The doctor's verdict, the kept files, the outcome."""
    folder = options.folder
    log = folder / "events.jsonl" if folder is not None else None
    if log is not None and log.exists():
        result.files["events"] = str(log)
    if scenario.doctor_clean and options.doctor is not None and log is not None \
            and log.exists() and result.outcome != "error":
        result.doctor = options.doctor(log)
        result.doctor_checked = True
    if options.keep and folder is not None:
        write_wav(folder / "user.wav", mic.kept_audio())
        result.files["user audio"] = str(folder / "user.wav")
        if speakers:
            write_wav(folder / "assistant.wav", speakers[0].kept_audio())
            result.files["assistant audio"] = str(folder / "assistant.wav")
    result.settle()
    if result.outcome != "passed" and not result.doctor_checked and options.doctor is not None \
            and log is not None and log.exists():
        # a failure's report carries the doctor's reading of its log (why an answer never
        # came, or came late), even where the scenario did not ask for doctor: clean
        result.doctor = options.doctor(log)


async def gather_limited(jobs: list[Callable[[], Awaitable[RunResult]]], concurrency: int,
                         done: Callable[[RunResult], None]) -> list[RunResult]:
    """Run ``jobs`` at most ``concurrency`` at a time, in order of the list; ``done`` is told
    of each as it finishes."""
    results: list[RunResult | None] = [None] * len(jobs)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(i: int) -> None:
        async with gate:
            results[i] = await jobs[i]()
            done(results[i])  # type: ignore[arg-type]

    await asyncio.gather(*(one(i) for i in range(len(jobs))))
    return [r for r in results if r is not None]
