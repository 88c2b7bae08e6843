"""The local barge-in decision: pause the speaker when the user starts talking, then confirm or
resume as evidence accumulates (issue 29).

Why local: the server's ``speech_started`` comes a VAD window and a network round trip after
the user began, and during double talk the echo canceller's suppression chops the user's voice
into short segments that each fail a per-segment guard. The client hears the echo-cancelled mic
itself, frame by frame, with what the canceller knows about the echo at that moment; so it can
stop the speaker within a few frames and decide with the speaker quiet, which is when the
user's voice is clean.

Each 20 ms mic frame arrives as a :class:`TalkFrame` (the runtime measures it; this module only
judges, with ``now`` passed in); whether a frame is *the person's* is
:class:`~voicechat.core.talk_frames.FrameJudge`'s call, with the yardsticks it learns from
the assistant alone (the canceller's ERLE, the room's noise) and a lower speech bar where the
canceller shows double talk.

The judgement is over a window, never per segment: the speaker is *paused* once ``onset_ms``
of the person's frames fall within the last ``onset_window_ms``; the barge-in is *confirmed*
once ``confirm_ms`` of them are counted since the first of those frames, and the echo
canceller's residual correlation with the reference (when it reports one) is below
``max_echo_strength`` (a person is unrelated to the far end); it is *reversed* (the speaker
resumes where it stopped, nothing lost) after a hold with no such frame, or when the window ran
out without confirmation. The hold depends on what was heard: a click, a cough or a burst of
residual echo (under ``word_ms``) resumes after ``resume_after_ms``; after a word, the hold is
``breath_hold_ms``, because a person who said "wait" and draws breath has not changed their
mind; and the quiet is counted from the end of the echo's tail after the pause at the
earliest, since those frames are evidence neither way.

Where the echo canceller says echo leaks (a leak verdict: the session sets :attr:`strict`),
double talk alone no longer confirms, since leaked echo looks like it: ``clean_confirm_ms`` of
the person's speech must owe nothing to AEC3's residual, heard with the speaker paused past its
tail, or by the linear ear over the echo. On a busy machine AEC3 ran degraded (20-35 dB of
ERLE, its residual correlating with the reference) for whole cells of the barge-in grid, and
waiting for the pause alone made "Wait." wait for the words after the breath (641 ms; 381 ms
with the linear ear counted).

A word the speech model was sure of for most of it, and heard clean, confirms sooner, at
``sure_word_person_ms``: a single word whose end the speaker's tail covered was heard no longer
than that. A short word confirms on its own when it was heard clearly (``clear_word_ms`` of
frames at the speech bar that a canceller removing the echo well kept whole, and that the linear
ear hears over its floor or the copy ear does not find the speaker in; or frames the speech
model on the copy ear's residual heard, behind that ear's gates): "Stop." said alone over the
answer (issue 53's grid) is shorter than ``confirm_ms`` once the suppressor or the echo's tail
has covered its end.

The server's ``speech_started`` is a second opinion (:meth:`LocalBargeIn.server_heard`): where
the canceller's double-talk suppression ate a voice quieter than the echo, the server, which
hears the same cleaned mic over a longer window, may still find it. It pauses the speaker
(``server_hold_ms``), and the clean frames that follow decide, so nothing is lost to it.

Decisions carry their evidence, which the session writes as ``local.bargein.*`` records.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from voicechat.core.talk_frames import (
    AFTER_A_WORD,
    COPY_VOICE,
    LINEAR_VOICE,
    TWO_QUIET_EARS,
    WORD_UNDER_THE_ECHO,
    FrameJudge,
    LocalTuning,
    TalkFrame,
)

__all__ = ["Decision", "LocalBargeIn", "LocalPhase", "LocalTuning", "LocalVerdict", "TalkFrame"]


#: the evidence given to two places (the rest to one)
TWO_PLACES = frozenset({"echo_strength", "copy_speech_prob"})


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
        self._sure_ms = 0.0  # of which the speech detector was sure (``speech_prob``)
        self._clean_ms = 0.0  # of which heard with the speaker paused and its tail gone
        self._clear_ms = 0.0  # of which heard clearly (see ``_heard_clearly``)
        #: the level the copy ear left of the frames it heard clearly (mean dBFS) and how many:
        #: the word's own level, which its rest under the echo keeps and a burst's end does not
        self._word_left_dbfs: float | None = None
        self._word_frames = 0
        self._frames = 0
        self._last: TalkFrame | None = None
        self._why: str = ""
        self._server_pause = False  # the pause was the server's second opinion
        #: the canceller says echo leaks: confirm only on speech heard with the speaker paused
        self.strict = False
        self._frames_judge = FrameJudge(self.tuning)

    def _new_episode_counts(self) -> None:
        """An episode's evidence starts from nothing (a new first frame, or a reset)."""
        self._person_ms = self._sure_ms = self._clean_ms = self._clear_ms = 0.0
        self._word_left_dbfs, self._word_frames = None, 0

    def reset(self) -> None:
        """The assistant stopped (or was cut off some other way): forget the episode."""
        self.phase = LocalPhase.LISTENING
        self._recent.clear()
        self._paused_at = self._first_person_at = self._last_person_at = None
        self._new_episode_counts()
        self._frames = 0
        self._server_pause = False

    def stopped(self) -> None:
        """The assistant's audio stopped playing: the next frames are a new answer's start."""
        self.reset()
        self._frames_judge.restart()

    def person(self, f: TalkFrame, now: float | None = None) -> tuple[bool, str]:
        """Is this frame the person's (not the assistant's echo)? And the reason, for the log."""
        since = None
        if self.phase is LocalPhase.PAUSED and now is not None and self._paused_at is not None:
            since = (now - self._paused_at) * 1000.0
        return self._frames_judge.person(f, since,
                                         after_a_word=self._person_ms >= self.tuning.word_ms,
                                         clear_ms=self._clear_ms,
                                         word_left_dbfs=self._word_left_dbfs)

    @property
    def echo_erle_db(self) -> float | None:
        return self._frames_judge.echo_erle_db

    @property
    def echo_out_dbfs(self) -> float | None:
        return self._frames_judge.echo_out_dbfs

    @property
    def echo_level_dbfs(self) -> float | None:
        return self._frames_judge.echo_level_dbfs

    def frame(self, now: float, f: TalkFrame) -> LocalVerdict | None:
        """One frame while the assistant's audio plays (or is paused by us)."""
        t = self.tuning
        is_person, why = self.person(f, now)
        self._frames_judge.learn(f, is_person, paused=self.phase is LocalPhase.PAUSED)
        self._last = f
        self._recent.append((now, is_person, f.ms))
        while self._recent and now - self._recent[0][0] > t.onset_window_ms / 1000.0:
            self._recent.popleft()
        if is_person:
            self._why = why
            self._last_person_at = now
            if self._first_person_at is None:
                self._first_person_at = now
                self._new_episode_counts()
            self._person_ms += f.ms
            if self._heard_clearly(now, f, why):
                self._clear_ms += f.ms
                if (why == COPY_VOICE and f.in_dbfs is not None
                        and f.copy_explained_db is not None):
                    left, n = f.in_dbfs - f.copy_explained_db, self._word_frames
                    mean = self._word_left_dbfs
                    self._word_left_dbfs = left if mean is None else (mean * n + left) / (n + 1)
                    self._word_frames = n + 1
            if why in (COPY_VOICE, WORD_UNDER_THE_ECHO, TWO_QUIET_EARS):  # that ear's model: sure
                self._sure_ms += f.ms
            elif self._frames_judge.speech_prob(f) >= t.speech_prob:
                self._sure_ms += f.ms
                if self._heard_clean(now, f):
                    self._clean_ms += f.ms
            if why in (LINEAR_VOICE, AFTER_A_WORD, COPY_VOICE, WORD_UNDER_THE_ECHO,
                       TWO_QUIET_EARS):
                self._clean_ms += f.ms  # no echo either way (see _heard_clean)
        elif (self.phase is LocalPhase.LISTENING and self._last_person_at is not None
              and now - self._last_person_at > t.onset_window_ms / 1000.0):
            self._first_person_at = None  # a stray frame long ago: start counting afresh
            self._new_episode_counts()
        if self.phase is LocalPhase.LISTENING:
            recent = sum(ms for _, p, ms in self._recent if p)
            if recent >= t.onset_ms:
                self.phase = LocalPhase.PAUSED
                self._paused_at = now
                return self._verdict(Decision.PAUSE, now)
            return None
        return self._judge(now)

    def server_heard(self, now: float) -> LocalVerdict | None:
        """The server's VAD heard speech while the assistant plays: a second opinion.

        Where the canceller's double-talk suppression leaves too little of a voice quieter than
        the echo for the frames to pass as the person's, the server (which hears the same
        cleaned mic over a longer window) may still find it, late. Its word is not enough to
        cut the assistant off (it also hears residual echo), so it only pauses the speaker;
        with the speaker quiet the person's voice is clean, and the frames confirm or, after
        ``server_hold_ms`` with no speech, the speaker resumes where it stopped."""
        if self.phase is not LocalPhase.LISTENING:
            return None
        self.phase = LocalPhase.PAUSED
        self._paused_at = now
        self._server_pause = True
        if self._first_person_at is None:
            self._first_person_at = now
            self._new_episode_counts()
        self._why = "the server heard speech"
        return self._verdict(Decision.PAUSE, now)

    def _judge(self, now: float) -> LocalVerdict | None:
        t = self.tuning
        first = self._first_person_at if self._first_person_at is not None else now
        strength = self._last.echo_strength if self._last is not None else None
        echo_like = strength is not None and strength >= t.max_echo_strength
        sure = self._sure_ms >= t.sure_ms
        clean = self._clean_ms >= t.clean_confirm_ms
        trusted = clean or not (echo_like or self.strict)
        if trusted and ((self._person_ms >= t.confirm_ms and sure)
                        or (clean and self._sure_word())
                        or self._clear_ms >= t.clear_word_ms):
            verdict = self._verdict(Decision.CONFIRM, now)
            self.reset()
            return verdict
        quiet_ms = (now - self._quiet_since(first)) * 1000.0
        hold_ms = self._hold_ms()
        window_ms = max(t.confirm_window_ms, hold_ms + t.echo_tail_ms)
        if quiet_ms >= hold_ms or (now - first) * 1000.0 >= window_ms:
            reason = ("no more speech" if quiet_ms >= hold_ms
                      else "echo-like" if echo_like else "not enough speech in the window")
            verdict = self._verdict(Decision.RESUME, now, reason=reason)
            self.reset()
            return verdict
        return None

    def _sure_word(self) -> bool:
        """A word the speech model was sure of for most of it: ``sure_word_ms`` of
        ``sure_word_person_ms``. Heard clean too (``clean_confirm_ms`` of it by an ear that
        suppresses nothing or with the speaker paused, which ``_judge`` already knows), it
        confirms without the rest of ``confirm_ms``. Single words lost
        the rest to the speaker's tail and a stale reference (issue 53, seed 77: Carlo's
        "pausa" at a mic 20 dB down, right after the path jumped, heard 180 ms, all of it
        sure, by the copy ear), and the speaker resumed over them. Not on the cancellers'
        double talk alone: at an answer's start on the 10 ms loop (seed 80, quiet) AEC3 lost
        the echo and its double talk, the model sure at 0.97-0.99, made 160-180 ms of "the
        person", and without the clean share that confirmed two barge-ins with nobody talking
        (a replay of seeds 72-78 had shown none: the longest such runs there, 160-200 ms, were
        all refused by ``trusted``, echo-like or under a leak verdict)."""
        t = self.tuning
        return self._person_ms >= t.sure_word_person_ms and self._sure_ms >= t.sure_word_ms

    def _heard_clearly(self, now: float, f: TalkFrame, why: str) -> bool:
        """A frame of a word said clearly over the answer (issue 53), while the speaker plays
        or within its tail after the pause (the reference still plays there, so the word goes
        on over it). ``clear_word_ms`` of these confirm without the rest of ``confirm_ms``:
        "Stop." alone was heard for 120-180 ms before the suppressor or the echo's tail
        covered the rest, and the speaker resumed after the breath. (Not the frames past the
        tail: there a canceller losing the echo leaves the speaker's tail, which the longer
        count waits out.)

        Clearly: by two ears (``FrameJudge.heard_clearly``), or by the copy ear's residual
        (``COPY_VOICE``), whose speech model counts only behind five gates, each from a false
        pause it made in the grid's traces, and only where the reference plays: the copy ear
        took the speaker's sound out of that frame. espeak's 210 wpm "Stop." gave it 100 ms
        (with AEC3 suppressing the word's end under the speaker's tail: 120 ms of the person,
        short of ``confirm_ms``), and the speaker resumed. With the reference silent the
        ear's residual is the raw mic: on the grid's 10 ms loop, which underran and made AEC3
        line up silence with the echo, those frames confirmed a barge-in with nobody talking
        in a replay (`bench/README.md` has the figures). Nor where the copy ear explains
        ``copy_clear_explained_db`` of the frame: that is the speaker's own sound, and the
        model on the residual still sure there is its hangover (0.87 on the frame after a
        70 ms burst, explained 14 dB, made the fifth frame of a clear word and cut the
        assistant off on the real PulseAudio path in 1 run of the burst test in about 10)."""
        return ((self.phase is LocalPhase.LISTENING or self._in_pause_onset(now))
                and ((why in (COPY_VOICE, WORD_UNDER_THE_ECHO) and f.far_dbfs is not None
                      and f.far_dbfs >= self.tuning.far_floor_dbfs
                      and f.copy_explained_db is not None
                      and f.copy_explained_db < self.tuning.copy_clear_explained_db)
                     or self._frames_judge.heard_clearly(f)))

    def _in_pause_onset(self, now: float) -> bool:
        """Within the frames a pause takes to reach the mic (the speaker's buffer and the echo's
        delay)."""
        return (self._paused_at is not None
                and (now - self._paused_at) * 1000.0 < self.tuning.echo_tail_ms)

    def _heard_clean(self, now: float, f: TalkFrame) -> bool:
        """Heard with the speaker paused, its tail gone and the reference silent: whatever the
        canceller's residual correlation says of the seconds before (a voice under the echo
        leaves echo in the cleaned mic while they overlap), this is no echo."""
        t = self.tuning
        return (self.phase is LocalPhase.PAUSED and self._paused_at is not None
                and (now - self._paused_at) * 1000.0 >= t.echo_tail_ms
                and (f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs))

    def _quiet_since(self, first: float) -> float:
        """Since when nothing was the person's. The frames of the echo's tail right after the
        pause are no evidence either way (the tail may hide the person, or pass for them), so
        the quiet counts from the tail's end at the earliest."""
        last = self._last_person_at if self._last_person_at is not None else first
        if self._paused_at is None:
            return last
        return max(last, self._paused_at + self.tuning.echo_tail_ms / 1000.0)

    def _hold_ms(self) -> float:
        """How long a pause waits with no speech before the speaker resumes. A click, a cough
        or a burst of residual echo (under ``word_ms`` of speech): ``resume_after_ms``. A word
        (a person who said "wait" and draws breath has not changed their mind) or the server's
        word: longer, so the rest of the sentence finds the speaker still paused."""
        t = self.tuning
        if self._server_pause:
            return t.server_hold_ms
        return t.breath_hold_ms if self._person_ms >= t.word_ms else t.resume_after_ms

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
                               ("echo_strength", f.echo_strength),
                               ("linear_dbfs", f.linear_dbfs),
                               ("echo_linear_dbfs", self._frames_judge.echo_linear_dbfs),
                               ("copy_explained_db", f.copy_explained_db),
                               ("copy_speech_prob", f.copy_speech_prob)):
                if value is not None:
                    evidence[key] = round(value, 2 if key in TWO_PLACES else 1)
        if decision is Decision.RESUME:
            evidence["reason"] = reason
        elif self._why:
            evidence["why"] = self._why
        return LocalVerdict(decision, evidence)
