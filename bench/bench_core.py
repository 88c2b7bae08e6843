"""Throughput of the client's receive path: JSON decode + dialect mapping + session core.

Prints events per second for a realistic conversation mix, in both dialects. Transcript deltas
dominate a real stream (a spoken answer is hundreds of ``..._transcript.delta`` events), so the mix
is built from whole turns as the server sends them: VAD events, the committed user item, input
transcription deltas, a response with ~120 transcript deltas, output items and ``response.done``.
The WebSocket mix adds base64 audio deltas (100 ms of pcm16 each, as the server sends them).

Same-run baselines: a bare stdlib ``json.loads`` loop and a bare ``orjson.loads`` loop over the
same frames, so the figure also reads as "N× the time of decoding alone" on a busy machine; the
load average is printed with it.

Then the turn timeline (issue 39) on vs off over the same frames, with long answers and with
short ones (:data:`SHORT_ANSWER`: its cost is per turn, so it weighs most there), paired round
by round in several processes (:func:`timeline_ratio`, :func:`_ratios_in_child`); with
``--instructions`` (needs valgrind) also in instructions under callgrind, which the machine's
load cannot move.

Run: ``.venv/bin/python bench/bench_core.py [--instructions]`` (goal, issue 15: >= 200,000
events/s on the WebRTC mix; issue 39: the timeline on >= 0.97x off). Numbers are
informational; no test asserts timings.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from voicechat.core import PlaybackProgress, Session, SessionPolicy
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.mapping import server_event_from_canonical

WORDS = [
    "sure",
    "thing",
    "here",
    "is",
    "a",
    "short",
    "answer",
    "about",
    "the",
    "weather",
    "in",
    "the",
    "mountains",
    "today",
]
AUDIO_100MS = base64.b64encode(bytes(4800)).decode()


#: Transcript deltas in an answer: a long one (the throughput mix), and a short one ("Sure,
#: it's sunny there today."), where the per-turn costs weigh most.
LONG_ANSWER, SHORT_ANSWER = 120, 6


def turn(n: int, *, audio: bool, words: int = LONG_ANSWER) -> list[dict[str, Any]]:
    """The server events of one voice turn (GA shape), its answer ``words`` deltas long."""
    user, asst, resp = f"item_u{n}", f"item_a{n}", f"resp_{n}"
    prev = f"item_a{n - 1}" if n else None
    user_item = {
        "id": user,
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_audio", "transcript": None}],
    }
    asst_item = {
        "id": asst,
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
        "content": [],
    }
    ev: list[dict[str, Any]] = [
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1000 * n, "item_id": user},
        {
            "type": "input_audio_buffer.speech_stopped",
            "audio_end_ms": 1000 * n + 900,
            "item_id": user,
        },
        {"type": "input_audio_buffer.committed", "previous_item_id": prev, "item_id": user},
        {"type": "conversation.item.added", "previous_item_id": prev, "item": user_item},
        {"type": "conversation.item.done", "previous_item_id": prev, "item": user_item},
        {
            "type": "response.created",
            "response": {
                "id": resp,
                "object": "realtime.response",
                "status": "in_progress",
                "output": [],
            },
        },
        {
            "type": "response.output_item.added",
            "response_id": resp,
            "output_index": 0,
            "item": asst_item,
        },
        {"type": "conversation.item.added", "previous_item_id": user, "item": asst_item},
        {
            "type": "response.content_part.added",
            "response_id": resp,
            "item_id": asst,
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "audio", "transcript": ""},
        },
    ]
    if not audio:
        ev.append({"type": "output_audio_buffer.started", "response_id": resp})
    for i in range(6):
        ev.append(
            {
                "type": "conversation.item.input_audio_transcription.delta",
                "item_id": user,
                "content_index": 0,
                "delta": WORDS[i] + " ",
            }
        )
    for i in range(words):
        ev.append(
            {
                "type": "response.output_audio_transcript.delta",
                "event_id": f"event_{i}",
                "response_id": resp,
                "item_id": asst,
                "output_index": 0,
                "content_index": 0,
                "delta": WORDS[i % len(WORDS)] + " ",
                "obfuscation": "abc",
            }
        )
        if audio and i % 6 == 0:
            ev.append(
                {
                    "type": "response.output_audio.delta",
                    "response_id": resp,
                    "item_id": asst,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": AUDIO_100MS,
                }
            )
    text = " ".join(WORDS)
    done_item = {
        **asst_item,
        "status": "completed",
        "content": [{"type": "output_audio", "transcript": text}],
    }
    ev += [
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": user,
            "content_index": 0,
            "transcript": " ".join(WORDS[:6]),
            "usage": {"type": "duration", "seconds": 1},
        },
        {"type": "response.output_audio.done", "response_id": resp, "item_id": asst},
        {
            "type": "response.output_audio_transcript.done",
            "response_id": resp,
            "item_id": asst,
            "transcript": text,
        },
        {
            "type": "response.content_part.done",
            "response_id": resp,
            "item_id": asst,
            "part": {"type": "audio", "transcript": text},
        },
        {"type": "response.output_item.done", "response_id": resp, "item": done_item},
        {"type": "conversation.item.done", "previous_item_id": user, "item": done_item},
        {
            "type": "response.done",
            "response": {"id": resp, "status": "completed", "output": [done_item]},
        },
        {"type": "rate_limits.updated", "rate_limits": []},
    ]
    if not audio:
        ev.append({"type": "output_audio_buffer.stopped", "response_id": resp})
    return ev


def frames(dialect: Dialect, turns: int, *, audio: bool, words: int = LONG_ANSWER
           ) -> list[str]:
    out = []
    for n in range(turns):
        for event in turn(n, audio=audio, words=words):
            wire = server_event_from_canonical(event, dialect)
            if wire is not None:
                out.append(json.dumps(wire))
    return out


def bare(decode: Callable[[str], Any], data: list[str]) -> float:
    """The baseline: seconds for nothing but ``decode`` over the same frames."""
    t0 = time.perf_counter()
    for frame in data:
        decode(frame)
    return time.perf_counter() - t0


def full(dialect: Dialect, transport: str, data: list[str], *, timed: bool = True) -> float:
    """Seconds for decode + map + session over ``data``, with the runtime's extra calls.

    ``timed=False``: the session's turn timing (issue 39) switched off, for the on/off ratio
    (it is part of the core: the real path is ``timed=True``)."""
    session = Session(SessionPolicy(dialect=dialect, transport=transport))  # type: ignore[arg-type]
    if not timed:
        _switch_timing_off(session)
    session.start(0.0)
    now = 0.0
    t0 = time.perf_counter()
    for i, frame in enumerate(data):
        now += 0.001
        session.receive_wire(frame, now)
        if i % 50 == 0:  # what the runtime and the UI add: progress reports, ~20 view reads/s
            session.handle(PlaybackProgress(f"item_a{i // 200}", float(i)), now)
            _ = session.view
    elapsed = time.perf_counter() - t0
    entries = session.view.entries
    assert entries and entries[-1].status == "done", entries[-1]
    return elapsed


def run(dialect: Dialect, transport: str, *, turns: int = 60, repeat: int = 7
        ) -> tuple[float, float, float]:
    """Best-of-``repeat`` events/s: the full path, bare ``json.loads``, bare ``orjson.loads``.

    The three are interleaved within each round, so a busy spell on a shared machine slows
    all of them rather than only one (the ratios are the robust figure).
    """
    data = frames(dialect, turns, audio=transport == "websocket")
    best = [float("inf")] * 3
    for _ in range(repeat):
        times = (full(dialect, transport, data), bare(json.loads, data),
                 bare(orjson.loads, data))
        best = [min(b, t) for b, t in zip(best, times, strict=True)]
    rate, stdlib, fast = (len(data) / t for t in best)
    return rate, stdlib, fast


#: Events per answered turn in :func:`frames` by transport and answer length, for the
#: timeline's cost per turn.
EVENTS_PER_TURN = {(transport, words): len(frames(Dialect.GA, 1, audio=transport == "websocket",
                                                  words=words))
                   for transport in ("webrtc", "websocket")
                   for words in (LONG_ANSWER, SHORT_ANSWER)}


def _switch_timing_off(session: Session) -> None:
    """The session as it was before issue 39: no turn timing fed (the bench's baseline)."""
    timing = session._timing
    timing.timeline.wants = frozenset()
    timing.sent = timing.local = lambda event: None  # type: ignore[method-assign]
    session._out.on_send = session._out.on_record = None


class TimelineRatio(NamedTuple):
    """The timeline on vs off over the same frames: medians of each round's ratio."""

    on_off: float  # events/s on over off
    control: float  # off against off: the A/A control (1.0 but for the machine's noise)
    off_rate: float  # events/s off (median round)


def timeline_ratio(dialect: Dialect, transport: str, *, turns: int = 60, rounds: int = 21,
                   words: int = LONG_ANSWER) -> TimelineRatio:
    """Events/s with the turn timeline on and off, as the median of per-round ratios.

    Each round runs off, on and off again in a shuffled order, each in a new session: a
    session's memory layout alone moves its speed by ~2 % (two identical "off" runs, best of
    9 each, differed by up to 0.017x), so best-against-best picked the luckiest layout on
    either side; the median of paired ratios does not, and the off/off control prints the
    noise that is left beside the figure."""
    data = frames(dialect, turns, audio=transport == "websocket", words=words)
    ratios, controls, offs = [], [], []
    for _ in range(rounds):
        order = ["off", "on", "control"]
        random.shuffle(order)
        seconds = {mode: full(dialect, transport, data, timed=mode == "on") for mode in order}
        ratios.append(seconds["off"] / seconds["on"])
        controls.append(seconds["off"] / seconds["control"])
        offs.append(seconds["off"])
    return TimelineRatio(statistics.median(ratios), statistics.median(controls),
                         len(data) / statistics.median(offs))


MIXES = [(transport, dialect) for transport in ("webrtc", "websocket")
         for dialect in (Dialect.GA, Dialect.BETA)]
#: The timeline's on/off mixes: every transport and dialect with long answers, and with short
#: ones (a goal must hold on the shapes users bring, not only on the throughput mix).
SHAPES = [(transport, dialect, words) for words in (LONG_ANSWER, SHORT_ANSWER)
          for transport, dialect in MIXES]


def _ratios_in_child(seed: int) -> dict[tuple[str, Dialect, int], TimelineRatio]:
    """:func:`timeline_ratio` of every mix in a child process with hash seed ``seed``: a
    process's hash seed and memory layout move the ratio by up to +-0.03 (the A/A control
    ranged 0.976-1.031 over eight seeds), so one process's figure is one draw."""
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    result = subprocess.run([sys.executable, __file__, "--ratio-child"], capture_output=True,
                            text=True, env=env, check=True)
    rows = json.loads(result.stdout)
    return {(transport, Dialect(dialect), words): TimelineRatio(*figures)
            for transport, dialect, words, figures in rows}


def view_cost(turns: int = 1000, reads: int = 2000) -> float:
    """Microseconds to rebuild the view after one delta, with ``2 * turns`` transcript entries."""
    session = Session(SessionPolicy())
    session.start(0.0)
    for frame in frames(Dialect.GA, turns, audio=False):
        session.receive_wire(frame, 1.0)
    delta = {
        "type": "response.output_audio_transcript.delta",
        "item_id": f"item_a{turns - 1}",
        "delta": "x",
    }
    t0 = time.perf_counter()
    for _ in range(reads):
        session.receive(delta, 2.0)
        _ = session.view
    return (time.perf_counter() - t0) / reads * 1e6


def _child(mode: str, transport: str, dialect: str, rounds: int) -> None:
    """``--child``: :func:`full` ``rounds`` times, for :func:`timeline_instructions`."""
    flavour = Dialect(dialect)
    data = frames(flavour, 60, audio=transport == "websocket")
    for _ in range(rounds):
        full(flavour, transport, data, timed=mode == "on")


def _count(args: list[str]) -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("--instructions needs valgrind (callgrind): apt-get install valgrind")
    env = dict(os.environ, PYTHONHASHSEED="0")  # the same set and dict layouts every run
    result = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                             sys.executable, __file__, "--child", *args],
                            capture_output=True, text=True, env=env, check=False)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None or result.returncode != 0:
        raise SystemExit(f"callgrind run failed ({result.returncode}): {result.stderr[-2000:]}")
    return int(found.group(1))


def timeline_instructions(dialect: Dialect, transport: str) -> tuple[float, float]:
    """Instructions per round of :func:`full` (60 turns) with the timeline off and on: runs of
    3 rounds less runs of 1, so start-up and the first round's one-time costs cancel out.

    The figure a machine's load cannot move. What it cannot see is how fast the instructions
    run: the timeline's are the interpreter's, in small calls, and retire fewer per cycle than
    the decoder's C, so the wall-time ratio above runs below it."""
    per_round = []
    for mode in ("off", "on"):
        one, three = (_count([mode, transport, dialect.value, str(rounds)])
                      for rounds in (1, 3))
        per_round.append((three - one) / 2)
    return per_round[0], per_round[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instructions", action="store_true",
                        help="also count the timeline's on/off instructions under callgrind "
                             "(needs valgrind)")
    parser.add_argument("--processes", type=int, default=5,
                        help="child processes for the timeline's on/off ratio (default 5)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--ratio-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ratio_child:
        print(json.dumps([[transport, dialect.value, words,
                           list(timeline_ratio(dialect, transport, words=words))]
                          for transport, dialect, words in SHAPES]))
        return
    if args.child:
        mode, transport, dialect, rounds = args.child
        _child(mode, transport, dialect, int(rounds))
        return
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"bench_core: JSON decode + dialect mapping + session core, events/s (best of 7); "
          f"load {load}")
    print("  time per event as a multiple of a bare json.loads / orjson.loads loop, same frames")
    for transport in ("webrtc", "websocket"):
        for dialect in (Dialect.GA, Dialect.BETA):
            rate, stdlib, fast = run(dialect, transport)
            print(f"  {transport:9} {dialect.value:4}  {rate:>10,.0f} events/s   "
                  f"{stdlib / rate:4.2f}x json.loads ({stdlib:,.0f}/s)   "
                  f"{fast / rate:4.2f}x orjson.loads ({fast:,.0f}/s)")
    print(f"  with the turn timeline (issue 39) on vs off, same frames: in each of "
          f"{args.processes} processes (hash seeds 0-{args.processes - 1}) the median of 21 "
          f"rounds' ratios; their median [lowest-highest], and off vs off (A/A)")
    per_process = [_ratios_in_child(seed) for seed in range(args.processes)]
    for mix in SHAPES:
        if mix[2] == SHORT_ANSWER and mix[:2] == MIXES[0]:
            print(f"  the same with short answers ({SHORT_ANSWER} transcript deltas: "
                  f"{EVENTS_PER_TURN['webrtc', SHORT_ANSWER]}-"
                  f"{EVENTS_PER_TURN['websocket', SHORT_ANSWER]} events a turn, against "
                  f"{EVENTS_PER_TURN['webrtc', LONG_ANSWER]}-"
                  f"{EVENTS_PER_TURN['websocket', LONG_ANSWER]})")
        got = [figures[mix] for figures in per_process]
        on_off = statistics.median(r.on_off for r in got)
        control = statistics.median(r.control for r in got)
        off_rate = statistics.median(r.off_rate for r in got)
        per_turn = (1 / on_off - 1) / off_rate * EVENTS_PER_TURN[mix[0], mix[2]] * 1e6
        print(f"  {mix[0]:9} {mix[1].value:4}  off {off_rate:>10,.0f}/s   on/off "
              f"{on_off:5.3f}x [{min(r.on_off for r in got):5.3f}-"
              f"{max(r.on_off for r in got):5.3f}]   A/A {control:5.3f}x "
              f"[{min(r.control for r in got):5.3f}-{max(r.control for r in got):5.3f}]"
              f"   {per_turn:5.1f} us per answered turn")
    if args.instructions:
        print("  the same in instructions (callgrind, per round of 60 turns, load-independent):")
        for transport in ("webrtc", "websocket"):
            for dialect in (Dialect.GA, Dialect.BETA):
                off, on = timeline_instructions(dialect, transport)
                print(f"  {transport:9} {dialect.value:4}  on {on / 1e6:6.1f} M  off "
                      f"{off / 1e6:6.1f} M   on/off {off / on:5.4f}x   "
                      f"{(on - off) / 60 / 1e3:5.1f} k instructions per answered turn")
    cost = view_cost()
    print(f"  view rebuild after a delta, 2,000 transcript entries: {cost:,.1f} us")


if __name__ == "__main__":
    main()
