"""The runner's parts on their own: the virtual speaker's spans, the scripted mic, ``-k``'s
patterns (property tests), the judge's answer read, the observer's windows."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.audio.files import FRAME
from voicechat.audio.playback import PlaybackBuffer
from voicechat.eventlog.record import LogRecord
from voicechat.voicetest.audio import UNDERRUN_GAP_S, ScriptedMic, VirtualSpeaker
from voicechat.voicetest.judge import verdict_from
from voicechat.voicetest.observe import TurnObserver
from voicechat.voicetest.selection import PatternError, compile_pattern

LOUD = np.full(FRAME, 3000, dtype=np.int16)
QUIET = np.zeros(FRAME, dtype=np.int16)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _speaker() -> tuple[VirtualSpeaker, Clock]:
    clock = Clock()
    return VirtualSpeaker(PlaybackBuffer(), clock=clock), clock


def _play(speaker: VirtualSpeaker, clock: Clock, frames: list[np.ndarray]) -> None:
    for frame in frames:
        speaker.write(frame)
        clock.t += 0.02


def test_a_pause_inside_an_answer_is_one_span_and_a_long_silence_ends_it() -> None:
    speaker, clock = _speaker()
    short_pause = int(UNDERRUN_GAP_S / 0.02) - 5
    _play(speaker, clock, [LOUD] * 10 + [QUIET] * short_pause + [LOUD] * 10)
    assert speaker.playing and len(speaker.spans) == 1
    stopped_at = clock.t
    _play(speaker, clock, [QUIET])
    assert speaker.playing  # not yet: the silence has not lasted
    clock.t += UNDERRUN_GAP_S
    assert not speaker.playing
    assert speaker.spans == [[0.0, pytest.approx(stopped_at)]]
    assert speaker.stopped_after(0.1) == pytest.approx(stopped_at)
    assert speaker.first_audio_after(0.0) == 0.0
    # after 0.01 s the next audio to follow silence is where the short pause ended
    assert speaker.first_audio_after(0.01) == pytest.approx(0.02 * (10 + short_pause))
    _play(speaker, clock, [LOUD])
    assert len(speaker.spans) == 2 and speaker.stopped_after(stopped_at + 0.01) is None


def test_a_cut_answer_stops_where_it_was_flushed_though_the_next_one_follows_at_once() -> None:
    """CI's failure: the answer to "Stop, stop" came 0.3 s after the cut one was flushed, so
    the two were one span, still open when the turn was judged 0.4 s after the drain: "the
    assistant's audio never stopped", though it had, at once."""
    buffer = PlaybackBuffer()
    clock = Clock()
    speaker = VirtualSpeaker(buffer, clock=clock)

    def tick(frames: int) -> None:
        for _ in range(frames):
            speaker.write(buffer.read(FRAME))
            clock.t += 0.02

    buffer.push(np.full(FRAME * 50, 3000, np.int16), "cut")
    tick(20)
    onset = clock.t  # the caller starts talking over it
    tick(10)
    cut_at = clock.t
    buffer.flush()
    tick(1)
    assert not speaker.playing  # a flush ends the answer without waiting out a gap
    tick(14)  # 0.3 s of quiet, shorter than UNDERRUN_GAP_S
    buffer.push(np.full(FRAME * 40, 3000, np.int16), "reply")
    tick(41)
    clock.t += 0.4  # judged 0.4 s after the drain, as the runner does
    assert speaker.stopped_after(onset) == pytest.approx(cut_at)
    assert len(speaker.spans) == 2 and speaker.first_audio_after(cut_at) is not None
    # the same with no silence at all between the cut answer and the next
    buffer.push(np.full(FRAME * 50, 3000, np.int16), "again")
    tick(5)
    buffer.flush()
    buffer.push(np.full(FRAME * 10, 3000, np.int16), "next")
    cut_again = clock.t
    tick(3)
    assert speaker.spans[-2][1] == pytest.approx(cut_again)
    assert speaker.spans[-1][1] is None and speaker.playing


async def test_the_scripted_mic_says_silence_then_the_utterance_on_time() -> None:
    mic = ScriptedMic()
    utterance = np.concatenate([np.zeros(FRAME * 3, np.int16), np.full(FRAME * 2, 2000,
                                                                        np.int16)])
    frames: list[np.ndarray] = []
    loop = asyncio.get_running_loop()

    async def listen() -> None:
        async for frame in mic.frames():
            frames.append(frame)

    task = loop.create_task(listen())
    await asyncio.sleep(0.1)
    said = mic.say(utterance)
    spoken = await asyncio.wait_for(said, 2.0)
    mic.close()
    await asyncio.wait_for(task, 1.0)
    loud = [i for i, f in enumerate(frames) if f.any()]
    assert len(loud) == 2 and loud[1] == loud[0] + 1  # the voice, whole and in order
    assert all(not f.any() for f in frames[: loud[0]])  # silence before, leading quiet kept
    assert spoken.end - spoken.onset == pytest.approx(0.02, abs=0.015)


WORDS = st.sampled_from(["weather", "paris", "greet", "x"])
TEXTS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=30)


def _expr(draw_depth: int = 3) -> st.SearchStrategy[tuple[str, object]]:
    leaf = WORDS.map(lambda w: (w, ("word", w)))

    def extend(inner: st.SearchStrategy[tuple[str, object]]
               ) -> st.SearchStrategy[tuple[str, object]]:
        return st.one_of(
            inner.map(lambda e: (f"not {e[0]}", ("not", e[1]))),
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
                lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})", (t[1], t[0][1], t[2][1]))),
        )

    return st.recursive(leaf, extend, max_leaves=6)


def _truth(tree: object, text: str) -> bool:
    kind = tree[0]  # type: ignore[index]
    if kind == "word":
        return tree[1] in text  # type: ignore[index]
    if kind == "not":
        return not _truth(tree[1], text)  # type: ignore[index]
    left, right = _truth(tree[1], text), _truth(tree[2], text)  # type: ignore[index]
    return left and right if kind == "and" else left or right


@settings(max_examples=300, deadline=None)
@given(_expr(), TEXTS)
def test_k_patterns_mean_what_pytest_means(expr: tuple[str, object], text: str) -> None:
    pattern, tree = expr
    assert compile_pattern(pattern)(text) == _truth(tree, text)


@given(st.text(max_size=20))
def test_a_k_pattern_is_a_selection_or_a_usage_error(pattern: str) -> None:
    try:
        compile_pattern(pattern)("some text")
    except PatternError as exc:
        assert str(exc).startswith("-k")


@pytest.mark.parametrize(("content", "passed", "why"), [
    ('{"pass": true, "reason": "greets back"}', True, "greets back"),
    ('Sure! ```json\n{"pass": false, "reason": "rude"}\n```', False, "rude"),
    ("I think it passes", False, "the judge did not give a verdict"),
    ('{"pass": "yes"}', False, "the judge did not give a verdict"),
])
def test_the_judges_answer_is_read_or_failed_never_passed(content: str, passed: bool,
                                                           why: str) -> None:
    body = json.dumps({"choices": [{"message": {"content": content}}]})
    verdict = verdict_from(body)
    assert verdict.passed is passed and why in verdict.reason
    assert verdict_from("<html>busy</html>").passed is False


def _rec(direction: str, event: dict[str, object]) -> LogRecord:
    return LogRecord(t=0.0, ts="", dir=direction, event=event)  # type: ignore[arg-type]


def test_a_cut_answer_belongs_to_the_turn_that_asked_it() -> None:
    observer = TurnObserver()
    asked = observer.begin()
    observer.record(_rec("in", {"type": "response.created", "response": {"id": "resp_1"}}))
    cutting = observer.begin(interrupting=True)
    observer.record(_rec("local", {"type": "local.playback.flushed", "dropped_ms": 400}))
    observer.record(_rec("in", {"type": "response.output_audio_transcript.done",
                                "response_id": "resp_1", "transcript": "Tomorrow will"}))
    observer.record(_rec("in", {"type": "response.created", "response": {"id": "resp_2"}}))
    observer.record(_rec("in", {"type": "response.output_audio_transcript.done",
                                "response_id": "resp_2", "transcript": "All right."}))
    assert asked.reply == "Tomorrow will" and cutting.reply == "All right."
    assert cutting.cut == ["local.playback.flushed"] and asked.cut == []
    # a family's turn record, cut, while an interrupting turn runs: the turn before's
    observer = TurnObserver()
    asked = observer.begin()
    cutting = observer.begin(interrupting=True)
    observer.record(_rec("local", {"type": "local.gemini.turn", "speaker": "assistant",
                                   "text": "Once upon", "interrupted": True}))
    assert asked.reply == "Once upon" and cutting.cut == ["local.gemini.turn interrupted"]


def test_an_answer_that_starts_within_the_pause_bridge_is_still_found() -> None:
    """A typed turn answered 0.1 s after the last answer's end joins its span (a pause inside
    one answer, as far as the span knows), and its first audio must still be found: the
    Gemini example once waited 30 s for audio that had played."""
    speaker, clock = _speaker()
    _play(speaker, clock, [LOUD] * 10 + [QUIET] * 20)  # an answer, then the 0.4 s of quiet
    asked = clock.t  # the next turn is sent
    _play(speaker, clock, [QUIET] * 5 + [LOUD] * 5)  # answered 0.1 s later
    assert len(speaker.spans) == 1  # one span: the gap was under UNDERRUN_GAP_S
    assert speaker.first_audio_after(asked) == pytest.approx(asked + 0.1)


def _answer(observer: TurnObserver, rid: str, text: str, *, committed: bool = False) -> None:
    """The server takes in a part of the caller's turn (``committed``) and answers it."""
    if committed:
        observer.record(_rec("in", {"type": "input_audio_buffer.committed", "item_id": rid}))
    observer.record(_rec("in", {"type": "response.created", "response": {"id": rid}}))
    observer.record(_rec("in", {"type": "response.output_audio_transcript.done",
                                "response_id": rid, "transcript": text}))


def test_an_answer_to_part_of_the_turn_is_not_the_turns_reply() -> None:
    """The caller paused inside their turn, the server's VAD ended it there and answered, and
    the caller went on: the turn's reply is the answer to its last part (CI read "You You
    said: one moment please"; over WebRTC, "I didn't catch that. … You said: the man You
    said: one moment please"), and the others are listed as superseded."""
    observer = TurnObserver()
    turn = observer.begin()
    _answer(observer, "resp_1", "You", committed=True)
    _answer(observer, "resp_2", "You said: the man", committed=True)
    _answer(observer, "resp_3", "You said: one moment please", committed=True)
    assert turn.reply == "You said: one moment please"
    assert turn.superseded == ["You", "You said: the man"]
    # an answer that finishes after the next part was taken in still answered its own part
    observer = TurnObserver()
    turn = observer.begin()
    observer.record(_rec("in", {"type": "input_audio_buffer.committed", "item_id": "a"}))
    observer.record(_rec("in", {"type": "response.created", "response": {"id": "resp_4"}}))
    _answer(observer, "resp_5", "You said: enough", committed=True)
    observer.record(_rec("in", {"type": "response.output_audio_transcript.done",
                                "response_id": "resp_4", "transcript": "You said: stop"}))
    assert turn.reply == "You said: enough" and turn.superseded == ["You said: stop"]
    # a later part nobody answered leaves the answer to the part before as the reply
    observer = TurnObserver()
    turn = observer.begin()
    _answer(observer, "resp_6", "It is sunny.", committed=True)
    observer.record(_rec("in", {"type": "input_audio_buffer.committed", "item_id": "b"}))
    assert turn.reply == "It is sunny." and turn.superseded == []
    # one part answered twice (a tool's follow-up): both are the reply
    observer = TurnObserver()
    turn = observer.begin()
    _answer(observer, "resp_7", "Let me check.", committed=True)
    _answer(observer, "resp_8", "It is sunny.")
    assert turn.reply == "Let me check. It is sunny." and turn.superseded == []
    # the answer the turn spoke over stays the turn before's reply
    observer = TurnObserver()
    asked = observer.begin()
    observer.record(_rec("in", {"type": "response.created", "response": {"id": "resp_9"}}))
    cutting = observer.begin(interrupting=True)
    observer.record(_rec("in", {"type": "input_audio_buffer.committed", "item_id": "c"}))
    observer.record(_rec("in", {"type": "response.output_audio_transcript.done",
                                "response_id": "resp_9", "transcript": "Once upon a"}))
    _answer(observer, "resp_10", "All right.")
    assert asked.reply == "Once upon a" and cutting.reply == "All right."
    # a family's turns: a user turn record is a part taken in
    observer = TurnObserver()
    turn = observer.begin()
    for speaker, text in (("user", "Hello"), ("assistant", "Hi there"),
                          ("user", "one moment please"), ("assistant", "Sure.")):
        observer.record(_rec("local", {"type": "local.live.turn", "speaker": speaker,
                                       "text": text}))
    assert turn.reply == "Sure." and turn.superseded == ["Hi there"]


def test_a_failure_past_the_end_of_the_script_says_why_and_the_fixes() -> None:
    """A spoken turn with a pause was answered twice, and the script ran ahead of the turns:
    the failure showed only "That is the end of my script." (issue 79)."""
    from voicechat.scenario.checks import ObservedTurn, Verdict
    from voicechat.scenario.spec import Turn
    from voicechat.server.voice.script import SCRIPT_END_REPLY
    from voicechat.voicetest.report import SCRIPT_RAN_OUT, failure_text
    from voicechat.voicetest.results import RunResult, TurnResult

    def turn(reply: str, status: str) -> TurnResult:
        return TurnResult(Turn(kind="say", content="Book it please", line=3),
                          ObservedTurn(reply=reply),
                          (Verdict("reply.contains", status, ""),))  # type: ignore[arg-type]

    ran_out = RunResult("booking", "booking.yaml", outcome="failed",
                        turns=[turn("Booked.", "passed"), turn(SCRIPT_END_REPLY, "failed")])
    assert SCRIPT_RAN_OUT in failure_text(ran_out)
    assert "silence_duration_ms" in SCRIPT_RAN_OUT
    other = RunResult("booking", "booking.yaml", outcome="failed",
                      turns=[turn("Sorry, no table.", "failed")])
    assert SCRIPT_RAN_OUT not in failure_text(other)


def test_verbose_lists_each_turn_s_figures_a_passing_run_s_too() -> None:
    """A passing run showed no figure, even with -v (issue 79)."""
    from voicechat.scenario.checks import ObservedTurn
    from voicechat.scenario.spec import Turn
    from voicechat.voicetest.report import turn_figures
    from voicechat.voicetest.results import RunResult, TurnResult

    result = RunResult("booking", "booking.yaml", turns=[
        TurnResult(Turn(kind="type", content="Hello", line=3),
                   ObservedTurn(reply="Hi", first_audio_ms=412.26), ()),
        TurnResult(Turn(kind="say", content="Stop.", line=5),
                   ObservedTurn(reply="", interrupted=True, stop_ms=230.4), ()),
    ])
    assert turn_figures(result) == [
        "  turn 1 (type: Hello): first audio 412 ms, passed",
        "  turn 2 (say: Stop.): no first audio, stopped 230 ms after the speech began, passed"]


def test_a_turn_s_progress_line_names_the_scenario_the_turn_and_its_first_audio() -> None:
    from voicechat.scenario.spec import Turn
    from voicechat.voicetest.report import turn_progress

    turn = Turn(kind="say", content="Book a table for two.", line=4)
    assert turn_progress("booking", 1, turn, 412.6) == \
        "  booking · turn 2 (say: Book a table for two.) answered, first audio 413 ms"
    assert turn_progress("booking", 0, turn, None).endswith("answered, no audio yet")
