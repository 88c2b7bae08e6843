"""The local barge-in detector on the real echo path: a short burst pauses, then plays on.

The path of ``test_aec_barge_in.py`` (the virtual speaker loops back into the virtual mic at
30 ms and -6 dB; ``voicechat --barge-in --aec`` against ``voicechat serve`` with long scripted
answers). A cough-like burst of voice (40 ms of an "ah" at full voice) is played into the
mic over the answer. The detector judges 20 ms frames: it pauses on 60 ms of them (the onset)
and confirms on 100 ms heard clearly (a short word, issue 53). A sound touches every frame it
overlaps, and the copy ear's fit carries a loud one into the two frames after it (its residual
there 8 dB over the mic itself, a trace of a CI-like run): 40 ms make two or three frames and
at most two more, short of a word, and reach the onset on about half the tries. (70 ms once
touched five frames, 2, 20, 20, 20 and 8 ms of it, and cut the assistant off, in one run in six
here and in a CI run; 60 ms at full voice did it in one run in five, 3 frames and 2 carried;
confirming on 120 ms instead, replayed on a quick grid run, confirmed 7 of 18 interruptions by
the live frames' end where 100 ms confirmed all 18; that carry is issue 78's.) The detector
must pause the speaker (``local.bargein.paused``), find no more speech and resume
(``local.bargein.resumed``), send no barge-in action, and the answer must play to its end
with none of its audio lost: the speaker's recording holds as much audible audio as the
answer itself. Interruptions and long answers with nobody talking are checked in
``test_aec_barge_in.py``. Nothing here asserts a timing; the run sits under the stall probe
(tests/realtime.py) like the other real-time tests.
"""

from __future__ import annotations

import subprocess
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.audio.conftest import EchoLoop, echo_afresh
from tests.audio.echo_run import (
    BARGE_IN_ACTIONS,
    LONG_REPLIES,
    aec_client_speaker_recorded,
    ask_until_answer_plays,
    kinds,
    read_wav,
    wait_for,
)
from tests.audio.test_aec_barge_in import QUESTIONS, fresh_dir
from tests.commands.test_headless_runs import audible_ms
from tests.helpers import read_records
from tests.realtime import in_real_time
from tests.speech import speech_pcm, speech_wav

pytestmark = [pytest.mark.audio, pytest.mark.slow]

BURST_MS = 40
#: where the burst starts in the "ah" (ms after it becomes audible), and its fades
BURST_SKIP_MS = 40
BURST_RAMP_MS = 2
#: what a resume adds to a pause in the speaker's recording: its buffer filling again
RESUME_RESTART_MS = 300
#: a 10 ms window is audible over this peak (-40 dBFS). At 1000 (-30 dBFS) the count sat on
#: the edge of the answer's soft syllables, which the codec and the 24 -> 48 kHz path round
#: down: the same recording, as loud as the answer (99th percentile peak 20,890 against
#: 21,062), counted 15,790 ms against the answer's 16,140 at 1000 and 17,020 against 16,940
#: at 300 (runs of the same test went 15,720-16,990 at 1000)
AUDIBLE_FLOOR = 300
#: A burst of 40 ms pauses on about half its tries (a frame it only grazes is not heard):
#: 6 of 13 here, and one run took five. Eight tries fit in the answer (~1.3 s each: the file,
#: then ``PAUSE_WAIT_S`` for the pause, which comes within ~0.2 s).
BURST_TRIES = 8
PAUSE_WAIT_S = 0.8


def burst_wav(path: Path) -> Path:
    """0.15 s of silence, ``BURST_MS`` of a spoken "ah" at full voice, 0.3 s of silence.

    From the vowel's steady part (``BURST_SKIP_MS`` in), not its start: the first 20 ms of
    the "ah" are 4-9 dB softer than the rest, and a frame that holds only that much of a burst
    is not heard over the answer's echo: the burst then made three frames or fewer, the onset
    on the edge, and several tries never paused. Ramps of ``BURST_RAMP_MS`` at both ends keep
    the cut from clicking."""
    pcm = speech_pcm("Ah.")
    first = int(np.argmax(np.abs(pcm) > 500)) + 48 * BURST_SKIP_MS
    burst = pcm[first : first + 48 * BURST_MS].astype(np.float64)
    ramp = np.linspace(0.0, 1.0, 48 * BURST_RAMP_MS, endpoint=False)
    burst[: ramp.size] *= ramp
    burst[burst.size - ramp.size :] *= ramp[::-1]
    out = np.concatenate([np.zeros(48 * 150), burst, np.zeros(48 * 300)]).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(out.tobytes())
    return path


def wait_quietly(record: Path, kind: str, timeout: float) -> bool:
    try:
        wait_for(record, lambda rs: bool(kinds(rs, kind)), timeout=timeout)
    except AssertionError:
        return False
    return True


def first_answer_played_out(records: list[dict[str, Any]]) -> bool:
    """The client's speaker has played the first answer to its end: it ran dry after the
    server's buffer stopped (or was cleared), or the client's clock has passed that end by
    the time its pauses held it back, and a second.

    Not the drain alone: the answers queue behind one another (the server's turn on the burst
    gets the next long reply, and any turn the server takes after it the next), so the speaker may
    not run dry for minutes, and that is not what this test is about."""
    types = [r["event"]["type"] for r in records]
    ends = [n for n, kind in enumerate(types)
            if kind in ("output_audio_buffer.stopped", "output_audio_buffer.cleared")]
    if not ends:
        return False
    if "local.playback.drained" in types[ends[0] + 1 :]:
        return True
    decisions = [r["event"] for r in records
                 if r["event"]["type"] in ("local.bargein.paused", "local.bargein.resumed",
                                           "local.bargein.confirmed")]
    if decisions and decisions[-1]["type"] == "local.bargein.paused":
        return False  # held right now: its length is not known yet
    resumed = [e for e in decisions if e["type"] == "local.bargein.resumed"]
    held_ms = sum(int(e.get("paused_ms", 0)) for e in resumed)
    held_ms += RESUME_RESTART_MS * len(resumed)
    return float(records[-1]["t"]) >= float(records[ends[0]]["t"]) + held_ms / 1000 + 1.0


def test_a_short_burst_over_the_answer_pauses_then_plays_on_without_loss(
    pulse_echo: EchoLoop, tmp_path: Path
) -> None:
    in_real_time(lambda n: burst_plays_on(pulse_echo, fresh_dir(tmp_path, n)),
                 reset=lambda: echo_afresh(pulse_echo))


def burst_plays_on(pulse_echo: EchoLoop, tmp_path: Path) -> None:
    from voicechat.server.voice.tts import make_voice

    question = speech_wav(tmp_path / "q.wav", QUESTIONS[:1], lead_s=0.3, tail_s=0.5)
    burst = burst_wav(tmp_path / "burst.wav")
    heard = tmp_path / "speaker.wav"
    played = 0  # bursts played into the mic
    with aec_client_speaker_recorded(tmp_path, heard) as record:
        ask_until_answer_plays(record, question)
        time.sleep(3.0)  # well into the answer: the canceller has converged
        # a burst this short is near the onset: one whose edge frames are not heard never
        # pauses (nothing to resume), so up to BURST_TRIES tries, all within the 16 s answer
        for _ in range(BURST_TRIES):
            played += 1
            subprocess.run(["paplay", "--device=micfeed", str(burst)], check=True,
                           timeout=30)
            if wait_quietly(record, "local.bargein.paused", PAUSE_WAIT_S):
                break
        # the server's buffer stops when it has sent the answer, but the client held it for
        # each pause and plays that much later (a pause for the burst, and often another for
        # the server's speech_started on it: 1.4 s in all); the second answer, to the burst,
        # queues right behind the first (in 6 of 13 runs here), so the speaker's own drain
        # may come a reply or more later: CI once waited 120 s for it in vain
        wait_for(record, first_answer_played_out, timeout=120)
        time.sleep(1.0)  # the speaker's buffered tail reaches the recording
    records = read_records(record)
    local = [(r["event"]["type"], r["event"]) for r in records
             if r["event"]["type"].startswith("local.bargein.")]
    actions = [r["event"]["type"] for r in records
               if r["dir"] == "out" and r["event"]["type"] in BARGE_IN_ACTIONS]
    done = [r["event"]["response"]["status"] for r in kinds(records, "response.done")]
    voice = make_voice("espeak")
    answer = voice.synthesize(LONG_REPLIES[0])
    rate = voice.sample_rate
    expected_ms = audible_ms(answer, rate, AUDIBLE_FLOOR)
    paused_ms = sum(int(e.get("paused_ms", 0)) for kind, e in local
                    if kind == "local.bargein.resumed")
    pcm, heard_rate = read_wav(heard)
    # the first answer's span in the recording: its length, the pause, and a little slack (a
    # turn the server made of the burst may answer right after it). Each resume restarts the
    # speaker's buffer: the recorded gap outlasts ``paused_ms`` by that (970 ms against 781 in
    # a full-suite run, which cut the answer's last 400 ms off the span and failed the check)
    first = int(np.argmax(np.abs(pcm) > 1000))
    resumes = sum(1 for kind, _ in local if kind == "local.bargein.resumed")
    span_ms = 1000 * answer.size // rate + paused_ms + 300 + RESUME_RESTART_MS * resumes
    heard_ms = audible_ms(pcm[first : first + span_ms * heard_rate // 1000], heard_rate,
                          AUDIBLE_FLOOR)
    print(f"\n{played} burst(s) of {BURST_MS} ms over the answer (echo "
          f"{pulse_echo.latency_ms} ms / {pulse_echo.gain_db} dB): local decisions {local}; "
          f"barge-in actions {actions}; "
          f"responses {done}; audible in the speaker recording {heard_ms} ms vs {expected_ms} ms "
          "in the answer")
    decisions = [kind for kind, _ in local]
    assert decisions[:2] == ["local.bargein.paused", "local.bargein.resumed"], (
        f"none of {played} bursts paused and resumed the speaker: {local}")
    assert "local.bargein.confirmed" not in decisions
    assert actions == [], f"a burst of {BURST_MS} ms cut the assistant off"
    assert done[:1] == ["completed"]
    assert not kinds(records, "local.playback.flushed")
    # nothing lost: the whole answer reached the speaker (the codec fills the shortest pauses
    # between words, so the two differ by a little either way; a flush would lose seconds)
    assert heard_ms >= expected_ms - 300, (heard_ms, expected_ms)
