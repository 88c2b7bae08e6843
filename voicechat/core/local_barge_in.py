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
  canceller's running ERLE until then) and it removed at most ``double_talk_max_db`` (16 dB: a
  voice down to ~6 dB under the echo, which the suppressor attenuates by a few dB more; a burst
  of residual echo from a converged canceller is still suppressed by 30 dB or more),
  or, before any ERLE is known, the cleaned mic stands within
  ``residual_to_reference_db`` of the reference (a converged canceller leaves echo 30-60 dB
  under it; a person at the laptop is about as loud as its speaker).

The speech bar is lower where the canceller's own figures show double talk (issue 38). A voice
6 dB under the echo, as laptop speakers give it, reaches the cleaned mic at -35 to -40 dBFS
with the canceller removing 6-15 dB of a frame whose echo alone it removes 40-65 dB of; but
silero, still hearing the residual echo too, says only 0.2-0.4 for the first 200 ms of the word
(measured on the PulseAudio path, ``bench/bargein_replay.py``). Such a frame, loud
(``double_talk_min_dbfs``) and kept like a voice, counts at ``double_talk_speech_prob``; it
pauses the speaker, and a confirmation still needs ``sure_ms`` of speech at the full bar.

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
    double_talk_max_db: float = 18.0
    double_talk_speech_prob: float = 0.05  # the speech bar where the canceller shows double talk
    double_talk_min_dbfs: float = -45.0  # ... and the cleaned mic is this loud
    noisy_room_dbfs: float = -65.0  # a cleaned mic this loud with the assistant alone: noise
    over_room_db: float = 10.0  # ... and a frame this far over it is someone talking
    sure_ms: float = 40.0  # a confirmation needs this much speech at the full speech bar
    clean_confirm_ms: float = 80.0  # ... and, when the residual is echo-like, this much clean
    echo_erle_alpha: float = 0.1  # per frame: the echo's ERLE follows within ~200 ms
    echo_erle_slow_alpha: float = 0.02  # ... and a sudden fall of it within ~1 s
    trusted_erle_db: float = 30.0
    echo_tail_ms: float = 200.0
    onset_ms: float = 60.0
    onset_window_ms: float = 160.0
    confirm_ms: float = 200.0
    confirm_window_ms: float = 700.0
    resume_after_ms: float = 300.0
    max_echo_strength: float = 0.3
    server_hold_ms: float = 700.0  # a pause on the server's word waits this long for speech
    word_ms: float = 100.0  # this much of the person's speech is a word, not a click or cough
    breath_hold_ms: float = 600.0  # after a word, a pause waits out a breath this long


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
        self._frames = 0
        self._last: TalkFrame | None = None
        self._why: str = ""
        self._server_pause = False  # the pause was the server's second opinion
        #: the canceller says echo leaks: confirm only on speech heard with the speaker paused
        self.strict = False
        #: the canceller's suppression of the echo alone (dB), learnt from echo-only frames
        self.echo_erle_db: float | None = None
        #: the cleaned mic while the assistant talks and nobody else does: the room's noise with
        #: the residual echo in it (see ``_over_the_room``)
        self.echo_out_dbfs: float | None = None
        #: how loud the mic is while the assistant talks and nobody else does: under
        #: ``min_level_dbfs`` there is no echo path to speak of (headphones)
        self.echo_level_dbfs: float | None = None

    def reset(self) -> None:
        """The assistant stopped (or was cut off some other way): forget the episode."""
        self.phase = LocalPhase.LISTENING
        self._recent.clear()
        self._paused_at = self._first_person_at = self._last_person_at = None
        self._person_ms = self._sure_ms = self._clean_ms = 0.0
        self._frames = 0
        self._server_pause = False

    def person(self, f: TalkFrame, now: float | None = None) -> tuple[bool, str]:
        """Is this frame the person's (not the assistant's echo)? And the reason, for the log."""
        t = self.tuning
        if f.speech_prob < min(t.speech_prob, t.double_talk_speech_prob):
            return False, "no speech"
        if f.out_dbfs < t.min_level_dbfs:
            return False, "too quiet"
        sure = f.speech_prob >= t.speech_prob
        if f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs:
            if not sure:
                return False, "no speech"
            if self._in_echo_tail(now, f):
                return False, "the echo's tail after the pause"
            return True, "speech while the assistant was quiet"
        if self.echo_level_dbfs is not None and self.echo_level_dbfs < t.min_level_dbfs:
            return sure, ("speech, and the mic does not hear the assistant" if sure
                          else "no speech")
        erle = self.echo_erle_db if self.echo_erle_db is not None else f.erle_db
        if erle is not None and f.in_dbfs is not None:
            removed = f.in_dbfs - f.out_dbfs
            if removed > min(t.double_talk_max_db, erle - t.double_talk_db) and not (
                    removed <= t.double_talk_max_db and self._over_the_room(f)):
                return False, "suppressed like echo"
            if sure:
                return True, "double talk: the canceller removed far less than its ERLE"
            if f.out_dbfs >= t.double_talk_min_dbfs:
                return True, "double talk, loud: the canceller kept a voice it does not know"
            return False, "no speech"
        if not sure:
            return False, "no speech"
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
                self._person_ms = self._sure_ms = self._clean_ms = 0.0
            self._person_ms += f.ms
            if f.speech_prob >= t.speech_prob:
                self._sure_ms += f.ms
                if self._heard_clean(now, f):
                    self._clean_ms += f.ms
        elif (self.phase is LocalPhase.LISTENING and self._last_person_at is not None
              and now - self._last_person_at > t.onset_window_ms / 1000.0):
            self._first_person_at = None  # a stray frame long ago: start counting afresh
            self._person_ms = self._sure_ms = self._clean_ms = 0.0
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
            self._person_ms = self._sure_ms = self._clean_ms = 0.0
        self._why = "the server heard speech"
        return self._verdict(Decision.PAUSE, now)

    def _over_the_room(self, f: TalkFrame) -> bool:
        """In a noisy room (a fan, an air conditioner) the canceller cannot take the echo under
        the noise, so the echo's ERLE learnt here is capped by it (~26 dB with pink noise 20 dB
        under a voice 6 dB under the echo) and ``erle - double_talk_db`` leaves almost nothing
        for a voice to pass. There the yardstick is the room itself: what the cleaned mic holds
        while the assistant talks alone (``echo_out_dbfs``, the noise with the residual in it),
        and a frame ``over_room_db`` above it is someone talking. In a quiet room that floor is
        the canceller's own (-80 dB and under) and this never applies."""
        t = self.tuning
        room = self.echo_out_dbfs
        return (room is not None and room >= t.noisy_room_dbfs
                and f.out_dbfs >= room + t.over_room_db)

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
        room, prev = self.echo_out_dbfs, self.echo_erle_db
        frame_erle = f.in_dbfs - f.out_dbfs
        if ((prev is not None and frame_erle < prev - t.double_talk_db)
                or (room is not None and f.out_dbfs >= room + t.over_room_db)):
            # far less removed than the echo's ERLE, or far over the room: the start of a
            # word under the echo that the speech detector does not hear yet, or a canceller
            # losing the echo. Learnt slowly (~1 s), so a 200 ms word leaves the yardsticks
            # where they were and a canceller that lost the echo for good still moves them
            # within a second.
            a = t.echo_erle_slow_alpha
        self.echo_out_dbfs = f.out_dbfs if room is None else (1 - a) * room + a * f.out_dbfs
        self.echo_erle_db = frame_erle if prev is None else (1 - a) * prev + a * frame_erle

    def _judge(self, now: float) -> LocalVerdict | None:
        t = self.tuning
        first = self._first_person_at if self._first_person_at is not None else now
        strength = self._last.echo_strength if self._last is not None else None
        echo_like = strength is not None and strength >= t.max_echo_strength
        sure = self._sure_ms >= t.sure_ms
        clean = self._clean_ms >= t.clean_confirm_ms
        if self._person_ms >= t.confirm_ms and sure and (clean or not (echo_like or self.strict)):
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
                               ("echo_strength", f.echo_strength)):
                if value is not None:
                    evidence[key] = round(value, 2 if key == "echo_strength" else 1)
        if decision is Decision.RESUME:
            evidence["reason"] = reason
        elif self._why:
            evidence["why"] = self._why
        return LocalVerdict(decision, evidence)
