"""The local barge-in decision: pause the speaker when the user starts talking, then confirm or
resume as evidence accumulates (issue 29).

Why local: the server's ``speech_started`` comes a VAD window and a network round trip after
the user began, and during double talk the echo canceller's suppression chops the user's voice
into short segments that each fail a per-segment guard. The client hears the echo-cancelled mic
itself, frame by frame, with what the canceller knows about the echo at that moment; so it can
stop the speaker within a few frames and decide with the speaker quiet, which is when the
user's voice is clean.

Each 20 ms mic frame arrives as a :class:`TalkFrame` (the runtime measures it; this module only
judges, with ``now`` passed in). A frame is *the person's* when:

* a speech detector (silero on the cleaned mic) calls it speech and it is loud enough to matter
  (``min_level_dbfs``), and
* it cannot be the assistant's own residual echo: either the assistant was quiet at that moment
  (the aligned reference below ``far_floor_dbfs``: a pause between its words, or the speaker
  already paused), or the canceller's instantaneous suppression fell well below what it removes
  of the echo alone (double talk: the frame's ``in - out`` is ``double_talk_db`` under the echo's
  ERLE, learnt here from the frames with the assistant talking and no speech heard, so the
  user's own voice, which the canceller rightly keeps, never drags the yardstick down; the
  canceller's running ERLE until then) and it removed at most ``double_talk_max_db`` (a voice
  about as loud as the echo, or louder: a burst of residual echo is still suppressed by more),
  or, before any ERLE is known, the cleaned mic stands within
  ``residual_to_reference_db`` of the reference (a converged canceller leaves echo 30-60 dB
  under it; a person at the laptop is about as loud as its speaker).

The judgement is over a window, never per segment: the speaker is *paused* once ``onset_ms``
of the person's frames fall within the last ``onset_window_ms``; the barge-in is *confirmed*
once ``confirm_ms`` of them are counted since the first of those frames within
``confirm_window_ms``, and the echo canceller's residual correlation with the reference (when
it reports one) is below ``max_echo_strength`` (a person is unrelated to the far end); it is
*reversed* (the speaker resumes where it stopped, nothing lost) after ``resume_after_ms`` with
no such frame, or when the window ran out without confirmation. A cough or a burst of residual
echo pauses the speaker for a fraction of a second and plays on.

Decisions carry their evidence, which the session writes as ``local.bargein.*`` records.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class TalkFrame:
    """One mic frame as the runtime measured it. Levels in dBFS of the 10 ms frames' mean power;
    ``None`` where the canceller reports nothing (no AEC figures yet)."""

    ms: float  # how much audio this frame covers
    speech_prob: float  # the speech detector's probability for the cleaned mic (0..1)
    out_dbfs: float  # the cleaned mic
    in_dbfs: float | None = None  # the mic before cancellation
    far_dbfs: float | None = None  # the reference the canceller lined up with this frame
    erle_db: float | None = None  # the canceller's running echo return loss enhancement
    echo_strength: float | None = None  # residual correlation with the reference (0..1)


@dataclass(frozen=True)
class LocalTuning:
    """Thresholds of the local detector (ms and dB). Tuned on the PulseAudio echo path of
    issue 29 (30 ms, -6 dB) with espeak voices; see the module doc for what each does."""

    speech_prob: float = 0.5
    min_level_dbfs: float = -60.0
    far_floor_dbfs: float = -45.0
    double_talk_db: float = 20.0
    residual_to_reference_db: float = -15.0
    double_talk_max_db: float = 8.0
    echo_erle_alpha: float = 0.1  # per frame: the echo's ERLE follows within ~200 ms
    trusted_erle_db: float = 30.0
    echo_tail_ms: float = 200.0
    onset_ms: float = 60.0
    onset_window_ms: float = 160.0
    confirm_ms: float = 200.0
    confirm_window_ms: float = 700.0
    resume_after_ms: float = 300.0
    max_echo_strength: float = 0.3


class LocalPhase(StrEnum):
    LISTENING = "listening"  # the assistant plays; nothing heard yet
    PAUSED = "paused"  # the speaker is paused: the user may be interrupting


class Decision(StrEnum):
    PAUSE = "paused"
    CONFIRM = "confirmed"
    RESUME = "resumed"


@dataclass(frozen=True)
class LocalVerdict:
    decision: Decision
    evidence: dict[str, Any]


class LocalBargeIn:
    """One session's local detector (sans-IO: frames and ``now`` in, verdicts out)."""

    def __init__(self, tuning: LocalTuning | None = None) -> None:
        self.tuning = tuning or LocalTuning()
        self.phase = LocalPhase.LISTENING
        self._recent: deque[tuple[float, bool, float]] = deque()  # (now, person, ms)
        self._paused_at: float | None = None
        self._first_person_at: float | None = None
        self._last_person_at: float | None = None
        self._person_ms = 0.0  # since the first person frame of this episode
        self._frames = 0
        self._last: TalkFrame | None = None
        self._why: str = ""
        #: the canceller's suppression of the echo alone (dB), learnt from echo-only frames
        self.echo_erle_db: float | None = None
        #: how loud the mic is while the assistant talks and nobody else does: under
        #: ``min_level_dbfs`` there is no echo path to speak of (headphones)
        self.echo_level_dbfs: float | None = None

    def reset(self) -> None:
        """The assistant stopped (or was cut off some other way): forget the episode."""
        self.phase = LocalPhase.LISTENING
        self._recent.clear()
        self._paused_at = self._first_person_at = self._last_person_at = None
        self._person_ms = 0.0
        self._frames = 0

    def person(self, f: TalkFrame, now: float | None = None) -> tuple[bool, str]:
        """Is this frame the person's (not the assistant's echo)? And the reason, for the log."""
        t = self.tuning
        if f.speech_prob < t.speech_prob:
            return False, "no speech"
        if f.out_dbfs < t.min_level_dbfs:
            return False, "too quiet"
        if f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs:
            if self._in_echo_tail(now, f):
                return False, "the echo's tail after the pause"
            return True, "speech while the assistant was quiet"
        if self.echo_level_dbfs is not None and self.echo_level_dbfs < t.min_level_dbfs:
            return True, "speech, and the mic does not hear the assistant"
        erle = self.echo_erle_db if self.echo_erle_db is not None else f.erle_db
        if erle is not None and f.in_dbfs is not None:
            removed = f.in_dbfs - f.out_dbfs
            if removed <= min(t.double_talk_max_db, erle - t.double_talk_db):
                return True, "double talk: the canceller removed far less than its ERLE"
            return False, "suppressed like echo"
        if f.out_dbfs - f.far_dbfs >= t.residual_to_reference_db:
            return True, "as loud as the reference"
        return False, "under the reference like echo"

    def frame(self, now: float, f: TalkFrame) -> LocalVerdict | None:
        """One frame while the assistant's audio plays (or is paused by us)."""
        t = self.tuning
        is_person, why = self.person(f, now)
        self._learn_echo(f, is_person)
        self._last = f
        self._recent.append((now, is_person, f.ms))
        while self._recent and now - self._recent[0][0] > t.onset_window_ms / 1000.0:
            self._recent.popleft()
        if is_person:
            self._why = why
            self._last_person_at = now
            if self._first_person_at is None:
                self._first_person_at = now
                self._person_ms = 0.0
            self._person_ms += f.ms
        elif (self.phase is LocalPhase.LISTENING and self._last_person_at is not None
              and now - self._last_person_at > t.onset_window_ms / 1000.0):
            self._first_person_at = None  # a stray frame long ago: start counting afresh
            self._person_ms = 0.0
        if self.phase is LocalPhase.LISTENING:
            recent = sum(ms for _, p, ms in self._recent if p)
            if recent >= t.onset_ms:
                self.phase = LocalPhase.PAUSED
                self._paused_at = now
                return self._verdict(Decision.PAUSE, now)
            return None
        return self._judge(now)

    def _in_echo_tail(self, now: float | None, f: TalkFrame) -> bool:
        """Right after the pause the speaker's buffer and the room still play what it was given;
        the reference is lined up by the canceller's delay estimate, which a loaded machine
        moves unseen. With a canceller that removes the echo well the tail is gone from the
        cleaned mic; with one that does not (the echo's ERLE under ``trusted_erle_db``), speech
        there may be that tail, so it waits ``echo_tail_ms``."""
        t = self.tuning
        if self.phase is not LocalPhase.PAUSED or now is None or self._paused_at is None:
            return False
        erle = self.echo_erle_db if self.echo_erle_db is not None else f.erle_db
        if erle is not None and erle >= t.trusted_erle_db:
            return False
        return (now - self._paused_at) * 1000.0 < t.echo_tail_ms

    def _learn_echo(self, f: TalkFrame, is_person: bool) -> None:
        """Follow the echo's ERLE on frames of the assistant alone (it talks, and the frame is not
        the person's: residual echo loud enough to sound like speech counts too, so a canceller
        that lost the echo lowers the yardstick within a few hundred ms)."""
        t = self.tuning
        if (is_person or f.in_dbfs is None or f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs
                or self.phase is LocalPhase.PAUSED):
            return
        a = t.echo_erle_alpha
        level = self.echo_level_dbfs
        self.echo_level_dbfs = f.in_dbfs if level is None else (1 - a) * level + a * f.in_dbfs
        if f.in_dbfs < t.min_level_dbfs:
            return  # no echo in this frame: nothing removed, nothing to learn of the canceller
        frame_erle = f.in_dbfs - f.out_dbfs
        prev = self.echo_erle_db
        self.echo_erle_db = frame_erle if prev is None else (1 - a) * prev + a * frame_erle

    def _judge(self, now: float) -> LocalVerdict | None:
        t = self.tuning
        first = self._first_person_at if self._first_person_at is not None else now
        strength = self._last.echo_strength if self._last is not None else None
        echo_like = strength is not None and strength >= t.max_echo_strength
        if self._person_ms >= t.confirm_ms and not echo_like:
            verdict = self._verdict(Decision.CONFIRM, now)
            self.reset()
            return verdict
        quiet_for = now - (self._last_person_at if self._last_person_at is not None else first)
        if quiet_for * 1000.0 >= t.resume_after_ms or (now - first) * 1000.0 >= t.confirm_window_ms:
            reason = ("no more speech" if quiet_for * 1000.0 >= t.resume_after_ms
                      else "echo-like" if echo_like else "not enough speech in the window")
            verdict = self._verdict(Decision.RESUME, now, reason=reason)
            self.reset()
            return verdict
        return None

    def _verdict(self, decision: Decision, now: float, reason: str | None = None) -> LocalVerdict:
        f = self._last
        evidence: dict[str, Any] = {"speech_ms": round(self._person_ms)}
        if self._paused_at is not None and decision is not Decision.PAUSE:
            evidence["paused_ms"] = round((now - self._paused_at) * 1000.0)
        if f is not None:
            evidence["prob"] = round(f.speech_prob, 2)
            evidence["out_dbfs"] = round(f.out_dbfs, 1)
            for key, value in (("in_dbfs", f.in_dbfs), ("far_dbfs", f.far_dbfs),
                               ("erle_db", f.erle_db), ("echo_erle_db", self.echo_erle_db),
                               ("echo_strength", f.echo_strength)):
                if value is not None:
                    evidence[key] = round(value, 2 if key == "echo_strength" else 1)
        if decision is Decision.RESUME:
            evidence["reason"] = reason
        elif self._why:
            evidence["why"] = self._why
        return LocalVerdict(decision, evidence)
