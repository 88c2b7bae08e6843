"""The copy ear's residual as an ear of its own: the fourth ear of the local barge-in detector.

The copy ear's residual holds a voice (issue 53). Where the echo path is simple (a
delay and a gain: a sound server's loop, a speaker and mic close together) the copy
ear's short fit is an instant canceller, found again within 20 ms when the path jumps,
and it suppresses nothing: a voice stays in its residual at its own level. AEC3, right
after the grid's loop jumped from 30 to 120 ms, removed 50-70 dB of a sentence said as
loud as the echo for 700 ms (the cleaned mic's speech model at 0.01-0.2), while the
copy ear explained 0-3 dB of those frames and the raw mic's model said 1.0.

A frame is the person's when the speech model on that residual is sure
(``speech_prob``), what the fit left stands ``copy_over_db`` over what it leaves of the
echo alone (the room's noise and its misses), the mic stands ``copy_louder_db`` louder
against the reference than the echo alone does (a voice adds to the echo; a path that
moved does not), and the ear is trusted here: it explains ``copy_trusted_db`` of the
echo's louder half, what it leaves of the echo alone is no speech to the model
(``copy_quiet_prob``), and it has settled (no fit that added to the mic in the last
``copy_settle_ms``, nor an answer's start in the last ``copy_start_ms``). Each of these
came from a false pause in the grid's traces: per frame the copy ear alone is no
evidence (after a gap, on a fricative, when the path moves it explains the echo 6 dB or
less), and neither is the model on its residual where the fit leaves the echo only
20-30 dB down. Replayed over 37 cells of the grid (20 minutes of playback), the rule as
it stands made no pause with nobody talking. It applies while the speaker is paused
too, as long as the copy ear has the reference in its span to judge by: the echo's
tail is explained and vetoed, a voice is not.

One gate gives way, and only for the rest of a word: the level test. A voice 6 dB under the
echo lifts the mic 1 dB, so a short word under the echo passed it for two to four frames
(where the echo dipped) and was lost. Once a word has been heard clearly for 40 ms, while the
speaker plays or within our pause's tail, a frame counts without it where the fit still
explains part of it (3 dB: one that lost the path explains 0-3) and its residual stays
within 12 dB of the word's clear frames (after a cough the speech model's hangover goes on
over a residual 20 dB lower): ``LocalTuning.copy_paused_word_ms``.

Sans-IO: frames in, a verdict out; :class:`~voicechat.core.talk_frames.FrameJudge` asks it
about each frame and lets it learn from the frames of the assistant alone.
"""

from __future__ import annotations

from enum import StrEnum

from voicechat.core.talk_frame_types import LocalTuning, TalkFrame

#: a frame the copy ear explains this much of is the echo alone, where its veto is switched off
#: (``copy_echo_db`` ``None``); the veto's own bar otherwise
EXPLAINED_ECHO_DB = 15.0


class CopyHeard(StrEnum):
    """Which of the ear's rules heard a voice: its level test (the mic louder than the echo
    alone), or the rest of a word it heard that way, under the echo (the test waived)."""

    VOICE = "voice"
    WORD_UNDER_THE_ECHO = "word under the echo"


class CopyVoiceEar:
    """Does what the copy ear's fit leaves of the mic hold a voice? And what it learns of the
    echo alone to say so (see the module doc and ``LocalTuning.copy_*``)."""

    def __init__(self, tuning: LocalTuning) -> None:
        self.tuning = tuning
        #: how much the copy ear explains of the echo alone where it is loud (its louder half:
        #: in a gap between words the room's noise is most of the mic), and the level of what it
        #: leaves of it (dBFS)
        self.echo_copy_db: float | None = None
        self.echo_copy_left_dbfs: float | None = None
        #: what the speech model says of what the copy ear leaves of the echo alone, on average
        self.echo_copy_speech_prob: float | None = None
        #: the mic against the reference the canceller lined up, for the echo alone (dB)
        self.echo_gain_db: float | None = None
        #: ... and against the reference on the copy ear's own lag (``copy_gain_db``)
        self.echo_copy_gain_db: float | None = None
        #: the copy ear's lag is the echo's: a fit on it explained the echo alone
        #: (``EXPLAINED_ECHO_DB``) since its last misfit (see ``_louder_than_the_echo``)
        self._lag_found = False
        self._settle_ms = 0.0  # how long the copy ear still has to settle
        #: how long the speaker has been silent, not paused by us: a session starts in
        #: silence, so its first answer waits ``copy_start_ms`` like any other (replayed with
        #: a shorter ``clear_word_ms``, three grid sessions confirmed a barge-in 0.3 s into
        #: their first answer: the ear, trusted after one frame of it, heard the echo's onset
        #: as a voice at 0.8-0.96)
        self._far_quiet_ms = tuning.copy_start_ms

    def hears(self, f: TalkFrame, min_level_dbfs: float, *,
              word_left_dbfs: float | None = None) -> CopyHeard | None:
        """Is this frame the person's by this ear, and by which rule? ``min_level_dbfs``: the
        level bar, scaled to the scene by the caller; ``word_left_dbfs``: given only while a
        word heard clearly goes on (the speaker playing, or within our pause's tail), what this
        ear left of its clear frames (their mean, dBFS): there the level test gives way to the
        part the fit explains and to the word's own level
        (``LocalTuning.copy_paused_word_ms``)."""
        t = self.tuning
        floor = self.echo_copy_left_dbfs
        if not (floor is not None and self.trusted_and_settled()
                and f.copy_speech_prob is not None and f.copy_speech_prob >= t.speech_prob
                and f.copy_explained_db is not None
                and f.copy_explained_db >= -t.copy_misfit_db
                and f.in_dbfs is not None and f.in_dbfs >= min_level_dbfs
                and f.in_dbfs - f.copy_explained_db >= floor + t.copy_over_db):
            return None
        if self._louder_than_the_echo(f):
            return CopyHeard.VOICE
        if (word_left_dbfs is not None and f.copy_explained_db >= t.copy_part_explained_db
                and f.in_dbfs - f.copy_explained_db
                >= word_left_dbfs - t.copy_paused_word_drop_db):
            return CopyHeard.WORD_UNDER_THE_ECHO
        return None

    def trusted_and_settled(self) -> bool:
        """The ear explains ``copy_trusted_db`` of the echo alone's louder half, what it leaves
        of that echo is no speech to the model, and no misfit or answer's start is recent."""
        t = self.tuning
        trust, prob = self.echo_copy_db, self.echo_copy_speech_prob
        return (t.copy_trusted_db is not None and trust is not None
                and trust >= t.copy_trusted_db and self._settle_ms <= 0.0
                and prob is not None and prob <= t.copy_quiet_prob)

    def _louder_than_the_echo(self, f: TalkFrame) -> bool:
        """The mic stands ``copy_louder_db`` over what the echo alone gives against this frame's
        reference (see there): the one AEC3 lined up, or the one on the lag the copy ear found
        and held.

        The second because the first goes stale when the path jumps, and while we pause: on
        issue 53's jump cell (seed 81, the mic 20 dB down), Carlo's word was left by the copy
        ear at 0.67-0.99 to the speech model, explaining 0-0.5 dB of it, but the lined-up
        reference, 90 ms off the new path and still playing what the pause had cut, stood the
        echo 6-12 dB over the mic; the word was lost and the barge-in came 961 ms after the
        onset, on the rest. The lag the copy ear holds (found in most of its last 100 ms of
        searches, ``copy_ear.HELD_OF``) is where the echo is, and on it the echo alone reads
        within a dB or two of its gain.

        But only once a fit on it has explained the echo since the ear's last misfit: a
        machine with both cores busy (seed 88, the -300 ppm loop) stalled the speaker's feed,
        which moved the echo against it; the copy ear misfit (-16 to -10 dB) and never
        explained the echo again, and on the lag it still held the echo alone read 18-27 dB
        over its gain, the model on the residual at 0.96: a barge-in with nobody talking. A
        path that jumps is explained on its new lag within two searches.

        And never for a frame the fit explains ``copy_clear_explained_db`` of: that frame is
        mostly the speaker's own sound, and the held lag's finer reference reads it over the
        echo's gain where the voice's tail lifts it a few dB. CI's burst test (a 70 ms "ah"
        over the answer) confirmed on such a frame at 160 ms, the model's hangover on the echo
        after the "ah": the fit explained 14.7 dB of it, the lined-up reference read it level
        with the echo, the held lag's read it louder. A voice the echo hides from AEC3 is
        left whole by the fit (Carlo's word: 0-0.5 dB explained)."""
        if f.in_dbfs is None:
            return False
        t = self.tuning
        louder = t.copy_louder_db
        gain, copy_gain = self.echo_gain_db, self.echo_copy_gain_db
        on_lined_up = (gain is not None and f.far_dbfs is not None
                       and f.in_dbfs - f.far_dbfs >= gain + louder)
        on_held_lag = (self._lag_found and copy_gain is not None and f.copy_gain_db is not None
                       and f.copy_explained_db is not None
                       and f.copy_explained_db < t.copy_clear_explained_db
                       and f.copy_gain_db >= copy_gain + louder)
        return on_lined_up or on_held_lag

    def follow(self, f: TalkFrame, *, paused: bool) -> None:
        """Every frame: the ear settles after a fit that added to the mic (``copy_settle_ms``),
        and when the speaker starts again after ``copy_start_ms`` of silence that was not our
        pause (an answer's start, a long gap): then for ``copy_start_ms``.

        A fit that adds while the reference lined up with the frame is silent is no moved
        path (there is no echo to move): after a pause on the server's word (issue 53, seed
        78), hts1a's word began as the paused reference went quiet, the fit over the answer's
        last echo added 1.8 dB, and the ear, unsettled for 100 ms, missed the word's middle;
        the speaker resumed and the barge-in came 1088 ms after the onset, on the rest."""
        t = self.tuning
        explained = f.copy_explained_db
        if explained is not None and explained < -t.copy_misfit_db:
            self._lag_found = False
        elif explained is not None and explained >= EXPLAINED_ECHO_DB:
            self._lag_found = True
        if f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs:
            if paused:
                self._settle_ms -= f.ms
            else:
                self._far_quiet_ms += f.ms
            return
        if self._far_quiet_ms >= t.copy_start_ms:
            self._settle_ms = max(self._settle_ms, t.copy_start_ms)
        self._far_quiet_ms = 0.0
        if f.copy_explained_db is not None and f.copy_explained_db < -t.copy_misfit_db:
            self._settle_ms = max(self._settle_ms, t.copy_settle_ms)
        else:
            self._settle_ms -= f.ms

    def restart(self) -> None:
        """The speaker stopped (the detector is fed only while it plays): the next answer
        starts after silence."""
        self._far_quiet_ms = max(self._far_quiet_ms, self.tuning.copy_start_ms)

    def learn(self, f: TalkFrame, echo_level_dbfs: float | None) -> None:
        """A frame of the assistant alone (it talks, nobody else, not paused by us), with the
        mic's level of the echo learnt so far."""
        t = self.tuning
        if f.copy_explained_db is None or f.in_dbfs is None or f.far_dbfs is None:
            return
        explained, in_dbfs = f.copy_explained_db, f.in_dbfs
        slow = t.echo_erle_slow_alpha
        # how much it explains of the echo's louder half (~1 s)
        if echo_level_dbfs is None or in_dbfs >= echo_level_dbfs:
            copy = self.echo_copy_db
            self.echo_copy_db = explained if copy is None else (
                (1 - slow) * copy + slow * explained)
        # the level of what it leaves (within ~200 ms; a frame left far over it as slowly as a
        # word the speech model does not hear yet, ~1 s, so a voice's first frames do not
        # lift it)
        left, floor = in_dbfs - explained, self.echo_copy_left_dbfs
        if floor is None:
            self.echo_copy_left_dbfs = left
        else:
            a = slow if left >= floor + t.copy_over_db else t.echo_erle_alpha
            self.echo_copy_left_dbfs = (1 - a) * floor + a * left
        sure_echo_db = t.copy_echo_db if t.copy_echo_db is not None else EXPLAINED_ECHO_DB
        if explained < sure_echo_db or in_dbfs < t.min_level_dbfs:
            return
        # frames the copy ear explains: the echo alone for sure, not the first frames of a
        # voice the speech models do not hear yet (which lifted both figures in a replay, and
        # switched the ear off under the voice it was hearing)
        a = t.copy_speech_alpha
        gain, frame_gain = self.echo_gain_db, in_dbfs - f.far_dbfs
        self.echo_gain_db = frame_gain if gain is None else (1 - a) * gain + a * frame_gain
        if f.copy_gain_db is not None:
            gain = self.echo_copy_gain_db
            self.echo_copy_gain_db = f.copy_gain_db if gain is None else (
                (1 - a) * gain + a * f.copy_gain_db)
        if f.copy_speech_prob is not None:
            prob = self.echo_copy_speech_prob
            self.echo_copy_speech_prob = f.copy_speech_prob if prob is None else (
                (1 - a) * prob + a * f.copy_speech_prob)
