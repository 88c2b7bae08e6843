"""Is a 20 ms frame of the cleaned mic the person's, or the assistant's own echo? (issue 29, 38)

The local barge-in detector (:mod:`voicechat.core.local_barge_in`) decides over a window; this
module judges one frame at a time, with the yardsticks it learns from the frames where the
assistant talks alone. Sans-IO: frames in, a verdict and its reason out.

Each 20 ms mic frame arrives as a :class:`TalkFrame` (the runtime measures it; this module only
judges). A frame is *the person's* when:

* a speech detector (silero on the cleaned mic) calls it speech and it is loud enough to matter
  (``min_level_dbfs``), and
* it cannot be the assistant's own residual echo: either the assistant was quiet at that moment
  (the aligned reference below ``far_floor_dbfs``: a pause between its words, or the speaker
  already paused), or the canceller's instantaneous suppression fell well below what it removes
  of the echo alone (double talk: the frame's ``in - out`` is ``double_talk_db`` under the echo's
  ERLE, learnt here from the frames with the assistant talking and no speech heard, so the
  user's own voice, which the canceller rightly keeps, never drags the yardstick down; the
  canceller's running ERLE until then) and it removed at most ``double_talk_max_db`` (18 dB: a
  voice down to ~6 dB under the echo, which the suppressor attenuates by a few dB more; a burst
  of residual echo from a converged canceller is still suppressed by 30 dB or more),
  or, before any ERLE is known, the cleaned mic stands within
  ``residual_to_reference_db`` of the reference (a converged canceller leaves echo 30-60 dB
  under it; a person at the laptop is about as loud as its speaker).

The speech bar is lower where the canceller's own figures show double talk (issue 38). A voice
6 dB under the echo, as laptop speakers give it, reaches the cleaned mic at -35 to -40 dBFS
with the canceller removing 6-15 dB of a frame whose echo alone it removes 40-65 dB of; but
silero, still hearing the residual echo too, says only 0.1-0.4 for the first 200 ms of the word
(measured on the PulseAudio path, ``bench/bargein_replay.py``). Such a frame, loud
(``double_talk_min_dbfs``) and kept like a voice, counts at ``double_talk_speech_prob``; it
pauses the speaker, and a confirmation still needs ``sure_ms`` of speech at the full bar. The
yardsticks learn a sudden fall slowly (``echo_erle_slow_alpha``), so the first 200 ms of a word
the speech model does not hear yet do not drag them down; and in a noisy room, where the
canceller cannot take the echo under the noise, the room's own level is the yardstick
(``_over_the_room``). The level bars are set for an echo of ``echo_reference_dbfs`` in the mic
and move down with a quieter scene (``_scaled``), since a laptop turned down hears the
assistant and the person alike quieter.

A second ear bypasses AEC3's suppressor (issue 38): in the quiet scene the suppressor removed a
first word ("Wait.") whole, 48-65 dB of every frame, while the raw mic held the voice 15-35 dB
over the echo, so nothing above heard it until the second word, 1.2-1.8 s in. The runtime also
measures what a linear-only canceller (``audio/echo/linear.py``, Speex's) leaves of the mic:
the echo alone leaves a floor 30-40 dB under the mic, and a voice stands over it at its own
level. A frame ``linear_over_db`` over that floor is the person's (``_linear_voice``); it
pauses the speaker, and a confirmation still needs speech the detector is sure of. The other
way round, a frame whose linear residual stays at that floor holds no voice, whatever AEC3 let
through (``_linear_echo_only``). Both wait until the linear canceller removes
``linear_trusted_db`` of the echo alone, of late too (3-20 s into a session on the PulseAudio
loop), and stop within ~100 ms of it losing the echo (a speaker underrun moves the echo path;
it takes seconds to converge again): then the detector works on AEC3's figures alone, as
before.

A third ear, the copy ear (``audio/echo/copy_ear.py``), finds the speaker's sound in the raw
mic on any delay within 20 ms, where both cancellers take a second or more to re-learn a path
that moved. It vetoes frames it explains (``_delayed_copy``); and on a simple path (a delay and
a gain, which it explains 20-60 dB of) what its fit leaves is a canceller's output that
suppresses nothing, so the speech model hears a voice there that AEC3 removed
(``_copy_voice``, issue 53: a sentence as loud as the echo, 50-70 dB of it removed for 700 ms
after the grid's loop jumped to 120 ms).

Three frames owe nothing to AEC3's residual (:data:`LINEAR_VOICE`, :data:`COPY_VOICE`,
:data:`AFTER_A_WORD`): the detector counts them as clean where a leak verdict makes it strict
(below). The third is a lower speech bar with the speaker paused past its tail and the
reference silent, once the person has said a word (``paused_speech_prob``): there the mic holds
the room and whoever is in it, no echo, and the speech detector gave the rest of "Wait — no,
stop that" 0.30-0.48 all through at -33 dBFS (the grid's quiet cell on a busy machine), so the
speaker resumed over it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


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
    #: the second ear: what a linear-only echo canceller leaves of the mic (no suppressor),
    #: and the mic as it heard it (it runs 20 ms behind ``in_dbfs``)
    linear_dbfs: float | None = None
    linear_in_dbfs: float | None = None
    #: the third ear: how many dB of the raw mic a delayed copy of the speaker explains, on
    #: whatever delay it finds now (``audio/echo/copy_ear.py``; ``None``: nothing to explain)
    copy_explained_db: float | None = None
    #: the speech detector on the raw mic (before any cancelling; ``None``: not measured):
    #: heard only where the mic does not hear the assistant (see ``_mic_deaf_to_the_speaker``)
    raw_speech_prob: float | None = None
    #: the speech detector on what the copy ear's fit leaves of the raw mic (``None``: not
    #: measured): counts only where the copy ear explains the echo alone well (``_copy_voice``)
    copy_speech_prob: float | None = None


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
    echo_reference_dbfs: float = -32.0  # the echo's level the level bars are set for
    noisy_room_dbfs: float = -65.0  # a cleaned mic this loud with the assistant alone: noise
    over_room_db: float = 10.0  # ... and a frame this far over it is someone talking
    sure_ms: float = 40.0  # a confirmation needs this much speech at the full speech bar
    clean_confirm_ms: float = 80.0  # ... and, when the residual is echo-like, this much clean
    echo_erle_alpha: float = 0.1  # per frame: the echo's ERLE follows within ~200 ms
    echo_erle_slow_alpha: float = 0.02  # ... and a sudden fall of it within ~1 s
    trusted_erle_db: float = 30.0
    echo_tail_ms: float = 200.0
    #: the canceller's running ERLE this far under the echo's learnt here: it is losing the
    #: echo, and the tail after a pause may pass for a voice (see ``_in_echo_tail``)
    echo_loss_db: float = 10.0
    onset_ms: float = 60.0
    onset_window_ms: float = 160.0
    confirm_ms: float = 200.0
    confirm_window_ms: float = 700.0
    resume_after_ms: float = 300.0
    max_echo_strength: float = 0.3
    server_hold_ms: float = 700.0  # a pause on the server's word waits this long for speech
    word_ms: float = 100.0  # this much of the person's speech is a word, not a click or cough
    breath_hold_ms: float = 600.0  # after a word, a pause waits out a breath this long
    #: the second ear (issue 38): a frame whose linear residual stands this far over what the
    #: linear canceller leaves of the echo alone is a voice, whatever the suppressor kept
    linear_over_db: float = 15.0
    linear_min_dbfs: float = -50.0  # ... and is this loud (moved down with a quieter scene)
    linear_min_removed_db: float = 2.0  # ... and the linear canceller still removed this much
    #: ... but this much less than it removes of the echo alone (a loud syllable of the echo
    #: leaves a residual as far over the floor as a quiet voice; it is still removed like echo)
    linear_double_talk_db: float = 12.0
    linear_trusted_db: float = 15.0  # ... once it removes this much of the echo alone
    linear_recent_alpha: float = 0.3  # ... and did over the last ~60 ms (see ``_learn_linear``)
    #: and the other way: a frame whose linear residual stays within this of that floor holds
    #: no voice, whatever AEC3 let through (a canceller still converging, a burst of residual
    #: echo); ``None`` turns the veto off
    linear_echo_only_db: float | None = 6.0
    #: with the speaker paused after a word, past its tail and the reference silent: the speech
    #: bar there (see ``_past_the_tail``); the speech detector was seen at 0.30-0.48 over the
    #: whole of "No, stop, stop that please" said at -33 dBFS after "Wait." and a breath
    paused_speech_prob: float = 0.25
    #: the third ear's veto (issue 53): a frame of which a delayed copy of the speaker explains
    #: this much holds no voice, whoever lost the echo path; ``None`` turns it off. A voice 6 dB
    #: under the echo leaves ~7 dB explained, the echo alone 20-60 dB on a simple path
    copy_echo_db: float | None = 15.0
    #: a short word confirms (issue 53: "Stop." alone was heard for 120-180 ms before the
    #: suppressor or the echo's tail covered the rest, and resumed after the breath): this much
    #: of the person's speech heard clearly by two ears: the speech detector at
    #: ``clear_speech_prob`` (it starts low on a word out of the echo: 0.21-0.46 over the first
    #: 60 ms of hts2a's "Stop", while it was kept whole and the copy ear found none of the
    #: speaker in it), with
    #: the canceller keeping the frame whole (it removed at most ``kept_whole_db`` while it
    #: removes ``trusted_erle_db`` or more of the echo alone), and the linear ear hearing it over
    #: its floor or the copy ear not finding the speaker in it (at most ``copy_voice_db``)
    clear_word_ms: float = 100.0
    clear_speech_prob: float = 0.2
    kept_whole_db: float = 6.0
    copy_voice_db: float = 6.0
    #: the copy ear's residual as an ear of its own (issue 53; ``_copy_voice``): trusted once
    #: it explains this much of the louder half of the echo alone (20-40 dB on the PulseAudio
    #: loop, with or without skew, ~20 with pink noise 26 dB under the echo; a real room's long
    #: echo 3-10 dB, where this stays off); ``None``: off
    copy_trusted_db: float | None = 15.0
    #: ... and a frame's residual stands this far over what it leaves of the echo alone (the
    #: room's noise and the fit's misses: pink noise 26 dB under the echo left -48 dBFS, and
    #: the speech model on it said 0.5-0.7 now and then with nobody talking)
    copy_over_db: float = 10.0
    #: ... and in the last ``copy_settle_ms`` no fit of it added this much to the mic (a fit
    #: adds when the path moves under it: the grid's loop re-made at 120 ms read -2 to -16 dB,
    #: and for the next 40-60 ms the ear, finding the new path, explained 1-6 dB of the echo
    #: with the speech model on the residual at 0.55-0.63)
    copy_misfit_db: float = 1.0
    copy_settle_ms: float = 100.0
    #: ... and the speaker has played for this long since it was last silent while not paused
    #: by us (the first 300 ms of an answer after silence: the ear, with nothing before it to
    #: fit, explained 0-6 dB of the echo with the speech model on its residual at 0.6-0.99;
    #: counted, they confirmed two barge-ins at an answer's start in the whole grid's run)
    copy_start_ms: float = 300.0
    #: ... and the mic stands this much louder against the reference than the echo alone does
    #: (``echo_gain_db``): a voice adds to the echo, a path that moved does not. The grid's
    #: loop, re-buffering mid-answer, left the copy ear explaining 0-5 dB of frames it had
    #: explained 60 dB of, with the model on its residual at 0.8-1.0, and the mic at the echo's
    #: own gain: per frame the echo alone reads -11 to +11 dB around that gain (5-95 %), a
    #: voice the copy ear heard +5 to +21 dB, those frames -7 to +10
    copy_louder_db: float = 3.0
    #: ... and the speech model on what the copy ear leaves of the echo alone says speech at
    #: most this much, on average over the last ~400 ms (``copy_speech_alpha``): where the fit
    #: leaves the echo 20-30 dB down rather than 40-60 (the grid's loop read at a -300 ppm skew),
    #: the model hears that residue as speech at 0.4-0.9 for whole answers, and the ear is then
    #: no evidence of a voice
    copy_quiet_prob: float = 0.3
    copy_speech_alpha: float = 0.05


#: the mic does not hear the assistant when, of the last ``DEAF_WINDOW`` frames of it alone
#: (2 s), at most ``DEAF_SHARE`` were loud enough to matter, once ``DEAF_AFTER_FRAMES`` were seen
DEAF_WINDOW = 100
DEAF_SHARE = 0.1
DEAF_AFTER_FRAMES = 25

#: the reasons :meth:`FrameJudge.person` gives that need no trust in AEC3's residual: the linear
#: ear heard the voice over the echo, or the speaker was paused and its tail gone
LINEAR_VOICE = "the linear ear hears a voice over the echo"
#: the third ear's veto: the raw mic is the speaker's sound on some delay, nothing else
DELAYED_COPY = "the mic is the speaker's own sound, delayed"
#: the copy ear's residual: a voice left when a delayed copy of the speaker is taken out
COPY_VOICE = "a voice left when the speaker's delayed copy is taken out"
AFTER_A_WORD = "speech after a word, with the speaker paused (a lower bar)"


class FrameJudge:
    """Judges frames, and learns the echo's yardsticks from the frames of the assistant alone."""

    def __init__(self, tuning: LocalTuning) -> None:
        self.tuning = tuning
        #: the canceller's suppression of the echo alone (dB), learnt from echo-only frames
        self.echo_erle_db: float | None = None
        #: the cleaned mic while the assistant talks and nobody else does: the room's noise with
        #: the residual echo in it (see ``_over_the_room``)
        self.echo_out_dbfs: float | None = None
        #: how loud the mic is while the assistant talks and nobody else does: under
        #: ``min_level_dbfs`` there is no echo path to speak of (headphones)
        self.echo_level_dbfs: float | None = None
        #: what the linear ear leaves of the echo alone, and how much of the echo it removes
        #: (see ``_linear_voice``)
        self.echo_linear_dbfs: float | None = None
        self.echo_linear_erle_db: float | None = None
        #: what it removed of the last few frames of the assistant alone: a linear canceller
        #: that lost the echo removes next to nothing frame after frame
        self.recent_linear_erle_db: float | None = None
        #: how much the copy ear explains of the echo alone where it is loud (its louder half:
        #: in a gap between words the room's noise is most of the mic), and the level of what it
        #: leaves of it (dBFS; see ``_copy_voice``)
        self.echo_copy_db: float | None = None
        self.echo_copy_left_dbfs: float | None = None
        #: what the speech model says of what the copy ear leaves of the echo alone, on average
        self.echo_copy_speech_prob: float | None = None
        #: the mic against the reference the canceller lined up, for the echo alone (dB)
        self.echo_gain_db: float | None = None
        self._copy_settle_ms = 0.0  # how long the copy ear still has to settle (see above)
        self._far_quiet_ms = 0.0  # how long the speaker has been silent, not paused by us
        #: of the recent frames of the assistant alone, whether the mic heard anything
        #: (see ``_mic_deaf_to_the_speaker``)
        self._mic_heard: deque[bool] = deque(maxlen=DEAF_WINDOW)
        self._mic_heard_count = 0  # of them True: kept as they come, not summed per frame

    def person(self, f: TalkFrame, since_pause_ms: float | None = None, *,
               after_a_word: bool = False) -> tuple[bool, str]:
        """Is this frame the person's (not the assistant's echo)? And the reason, for the log.
        ``since_pause_ms``: how long the speaker has been paused (``None``: it plays);
        ``after_a_word``: the person has said a word in this episode (``word_ms``)."""
        t = self.tuning
        if self._delayed_copy(f):
            return False, DELAYED_COPY
        if self._mic_deaf_to_the_speaker(f):
            prob = max(f.speech_prob, f.raw_speech_prob or 0.0)
            level = max(f.out_dbfs, f.in_dbfs if f.in_dbfs is not None else -120.0)
            if prob >= t.speech_prob and level >= t.min_level_dbfs:
                return True, "speech, and the mic does not hear the assistant"
            return False, "no speech"
        if self._linear_voice(f):
            return True, LINEAR_VOICE
        if self._copy_voice(f) and not self._linear_echo_only(f):
            return True, COPY_VOICE
        if f.speech_prob < min(t.speech_prob, t.double_talk_speech_prob):
            return False, "no speech"
        if f.out_dbfs < self._scaled(t.min_level_dbfs):
            return False, "too quiet"
        sure = f.speech_prob >= t.speech_prob
        if f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs:
            if not sure:
                if after_a_word and self._past_the_tail(since_pause_ms) and (
                        f.speech_prob >= t.paused_speech_prob):
                    return True, AFTER_A_WORD
                return False, "no speech"
            if self._in_echo_tail(f, since_pause_ms):
                return False, "the echo's tail after the pause"
            return True, "speech while the assistant was quiet"
        if self._linear_echo_only(f):
            return False, "the linear ear hears only the echo"
        erle = self.echo_erle_db if self.echo_erle_db is not None else f.erle_db
        if erle is not None and f.in_dbfs is not None:
            removed = f.in_dbfs - f.out_dbfs
            if removed > min(t.double_talk_max_db, erle - t.double_talk_db) and not (
                    removed <= t.double_talk_max_db and self._over_the_room(f)):
                return False, "suppressed like echo"
            if sure:
                return True, "double talk: the canceller removed far less than its ERLE"
            if f.out_dbfs >= self._scaled(t.double_talk_min_dbfs):
                return True, "double talk, loud: the canceller kept a voice it does not know"
            return False, "no speech"
        if not sure:
            return False, "no speech"
        if f.out_dbfs - f.far_dbfs >= t.residual_to_reference_db:
            return True, "as loud as the reference"
        return False, "under the reference like echo"

    def speech_prob(self, f: TalkFrame) -> float:
        """The speech detector's word on this frame: on the cleaned mic, or where the mic does
        not hear the assistant, the higher of that and the raw mic's."""
        if f.raw_speech_prob is not None and self._mic_deaf_to_the_speaker(f):
            return max(f.speech_prob, f.raw_speech_prob)
        return f.speech_prob

    def _mic_deaf_to_the_speaker(self, f: TalkFrame) -> bool:
        """The assistant talks and the mic has not heard it (headphones, or a speaker whose
        sound has not reached the mic yet: issue 53's adaptive loop delivered nothing for the
        first 5 s of an answer). No echo to tell apart, so the speech detector's word on the
        raw mic counts: AEC3, converging on nothing, removed 50-66 dB of the person's first
        word there ("too quiet" at -94 dBFS while the mic held it at -28), and the detector
        heard nothing until the server's VAD, 1.3-1.5 s in.

        "Not heard": of the last ``DEAF_WINDOW`` frames of the assistant alone, at most
        ``DEAF_SHARE`` had the mic at ``min_level_dbfs`` or over. A running mean of levels was
        tried first and took a quiet mic (echo at -47 dBFS active, with dips to -90 between
        words) for deaf: the raw mic's speech model then heard the echo and paused 8 times.
        A person's first frames, before the speech model is sure, count as the assistant's and
        a few of them cannot make the mic "hear". (Left alone: an echo that first reaches the
        mic seconds into an answer, in a room with a long echo the copy ear does not explain;
        unplugging headphones mid-answer is the case.)"""
        t = self.tuning
        heard = self._mic_heard
        return (len(heard) >= DEAF_AFTER_FRAMES
                and self._mic_heard_count <= DEAF_SHARE * len(heard)
                and f.far_dbfs is not None and f.far_dbfs >= t.far_floor_dbfs)

    def _delayed_copy(self, f: TalkFrame) -> bool:
        """The third ear (issue 53): when the echo path moves (a sound server re-buffering, a
        loop re-made at another latency) both cancellers lose it for a second or more and the
        echo passes for double talk. A search over every delay finds the speaker's sound in the
        mic at once: where a short fit of it explains ``copy_echo_db`` of the frame, the frame
        is that sound and nothing else, whatever the cancellers say. Only a veto: a real room's
        long echo is explained less, and then the other ears decide as before."""
        t = self.tuning
        return (t.copy_echo_db is not None and f.copy_explained_db is not None
                and f.copy_explained_db >= t.copy_echo_db)

    def heard_clearly(self, f: TalkFrame) -> bool:
        """Two ears say this frame of the assistant talking holds a voice (see
        ``clear_word_ms``): AEC3 kept it (nearly) whole while it removes a trusted ERLE of the
        echo alone, no residual echo looks like that; and the linear ear hears it far over what
        it leaves of the echo, or the copy ear finds little of the speaker in it. One ear alone
        is a cough's worth of evidence; the longer count (``confirm_ms``) decides then. (The
        copy ear alone is not evidence of a voice: replayed over the grid's traces, frames of
        the echo it explained 6 dB or less of, after a gap or on a fricative, with the raw
        mic's speech model sure, made 1-37 false barge-ins a cell.)"""
        t = self.tuning
        erle = self.echo_erle_db
        if (self.speech_prob(f) < t.clear_speech_prob or f.in_dbfs is None or erle is None
                or erle < t.trusted_erle_db or f.in_dbfs - f.out_dbfs > t.kept_whole_db
                or f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs):
            return False
        floor = self.echo_linear_dbfs
        linear = (f.linear_dbfs is not None and floor is not None and self._linear_trusted()
                  and f.linear_dbfs >= floor + t.linear_over_db)
        copy = f.copy_explained_db is not None and f.copy_explained_db <= t.copy_voice_db
        return linear or copy

    def _linear_voice(self, f: TalkFrame) -> bool:
        """The second ear (issue 38): AEC3's suppressor removes a voice quieter than the echo
        whole during double talk (48-65 dB of "Wait."), so neither the speech detector nor the
        levels above hear it. A linear-only canceller subtracts its estimate of the echo and
        suppresses nothing: the echo alone leaves a floor (``echo_linear_dbfs``, learnt like the
        room's), and a voice stands over it at its own level. A frame while the assistant
        talks is the person's when its linear residual is ``linear_over_db`` over that floor,
        loud enough (``linear_min_dbfs``), removed ``linear_double_talk_db`` less than the echo
        alone (a loud syllable of the echo leaves a residual well over the floor too: it was
        removed like echo), and still under the mic by ``linear_min_removed_db``
        (a linear canceller that lost the echo removes nothing: that is no voice); and only
        once the linear canceller has converged (it removes ``linear_trusted_db`` of the echo
        alone: at the start of a session its residual is the echo itself). It can pause the
        speaker; confirming still needs speech the detector is sure of (``sure_ms``)."""
        t = self.tuning
        floor, erle = self.echo_linear_dbfs, self.echo_linear_erle_db
        if (f.linear_dbfs is None or f.linear_in_dbfs is None or floor is None or erle is None
                or not self._linear_trusted() or f.far_dbfs is None
                or f.far_dbfs < t.far_floor_dbfs):
            return False
        removed = f.linear_in_dbfs - f.linear_dbfs
        return (f.linear_dbfs >= floor + t.linear_over_db
                and f.linear_dbfs >= self._scaled(t.linear_min_dbfs)
                and t.linear_min_removed_db <= removed <= erle - t.linear_double_talk_db)

    def _copy_voice(self, f: TalkFrame) -> bool:
        """The copy ear's residual holds a voice (issue 53). Where the echo path is simple (a
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
        tail is explained and vetoed, a voice is not."""
        t = self.tuning
        trust, floor = self.echo_copy_db, self.echo_copy_left_dbfs
        return (t.copy_trusted_db is not None and trust is not None and floor is not None
                and trust >= t.copy_trusted_db and self._copy_settle_ms <= 0.0
                and self.echo_copy_speech_prob is not None
                and self.echo_copy_speech_prob <= t.copy_quiet_prob
                and f.copy_speech_prob is not None and f.copy_speech_prob >= t.speech_prob
                and f.copy_explained_db is not None
                and f.copy_explained_db >= -t.copy_misfit_db
                and f.in_dbfs is not None and f.in_dbfs >= self._scaled(t.min_level_dbfs)
                and f.in_dbfs - f.copy_explained_db >= floor + t.copy_over_db
                and self._louder_than_the_echo(f))

    def _louder_than_the_echo(self, f: TalkFrame) -> bool:
        """The mic stands ``copy_louder_db`` over what the echo alone gives against this frame's
        reference (see there)."""
        gain = self.echo_gain_db
        return (gain is not None and f.in_dbfs is not None and f.far_dbfs is not None
                and f.in_dbfs - f.far_dbfs >= gain + self.tuning.copy_louder_db)

    def _linear_echo_only(self, f: TalkFrame) -> bool:
        """The second ear's veto: with the linear canceller converged (``linear_trusted_db``)
        and its residual within ``linear_echo_only_db`` of what it leaves of the echo alone,
        the frame holds no voice (a linear filter cannot remove one); what AEC3 let through is
        residual echo, as while it converges at the start of a session."""
        t = self.tuning
        floor = self.echo_linear_dbfs
        return (t.linear_echo_only_db is not None and f.linear_dbfs is not None
                and floor is not None and self._linear_trusted()
                and f.linear_dbfs <= floor + t.linear_echo_only_db)

    def _linear_trusted(self) -> bool:
        """The linear canceller removes ``linear_trusted_db`` of the echo alone, and did of the
        last few frames: it has converged, and not lost the echo since."""
        t = self.tuning
        erle, recent = self.echo_linear_erle_db, self.recent_linear_erle_db
        return (erle is not None and recent is not None and erle >= t.linear_trusted_db
                and recent >= t.linear_trusted_db)

    def _scaled(self, dbfs: float) -> float:
        """A level bar, lowered with the scene: the bars are set for an echo of
        ``echo_reference_dbfs`` in the mic, and a laptop turned down (or a mic set low) hears
        the assistant and the person alike quieter. A person 6 dB under an echo 10 dB quieter
        lost the ends of their words under -60 dBFS (the grid's quiet cell), so where the echo
        is quieter the bar moves down with it; never up."""
        level = self.echo_level_dbfs
        if level is None or level < self.tuning.min_level_dbfs:
            return dbfs
        return dbfs + min(0.0, level - self.tuning.echo_reference_dbfs)

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

    def _past_the_tail(self, since_pause_ms: float | None) -> bool:
        """The speaker has been paused longer than its tail (``echo_tail_ms``): with the
        reference silent, the mic holds the room and whoever is in it, and no echo. A person
        who said "wait" and goes on says the rest softer or faster than the speech detector is
        sure of (a word at 0.3-0.5 all through); after a word, that bar is
        ``paused_speech_prob``. A cough or a click alone is no word, and keeps the full bar."""
        return since_pause_ms is not None and since_pause_ms >= self.tuning.echo_tail_ms

    def _in_echo_tail(self, f: TalkFrame, since_pause_ms: float | None) -> bool:
        """Right after the pause the speaker's buffer and the room still play what it was given;
        the reference is lined up by the canceller's delay estimate, which a loaded machine
        moves unseen. With a canceller that removes the echo well the tail is gone from the
        cleaned mic; with one that does not (the echo's ERLE under ``trusted_erle_db``), speech
        there may be that tail, so it waits ``echo_tail_ms``. The ERLE learnt here follows a fall
        slowly (a word must not drag it down), and a canceller losing the echo says so first in
        its own running figure: where that stands ``echo_loss_db`` under the learnt one, it
        counts instead (the grid's 20 ms, -6 dB cell with a busy core: AEC3 at 24.5 dB, the
        learnt figure still 38, the speaker's tail confirmed a barge-in 182 ms after a pause
        on the echo). In a noisy room the two stay within a few dB (21-30 against 24-33 with
        pink noise), and the tail is judged as before."""
        t = self.tuning
        if since_pause_ms is None:
            return False
        erle = self.echo_erle_db if self.echo_erle_db is not None else f.erle_db
        if f.erle_db is not None and erle is not None and f.erle_db <= erle - t.echo_loss_db:
            erle = f.erle_db
        if erle is not None and erle >= t.trusted_erle_db:
            return False
        return since_pause_ms < t.echo_tail_ms

    def learn(self, f: TalkFrame, is_person: bool, *, paused: bool) -> None:
        """Follow the echo's ERLE on frames of the assistant alone (it talks, and the frame is not
        the person's: residual echo loud enough to sound like speech counts too, so a canceller
        that lost the echo lowers the yardstick within a few hundred ms)."""
        t = self.tuning
        self._follow_copy_settling(f, paused)
        if f.in_dbfs is None or f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs:
            return
        self._learn_linear(f, is_person)
        if is_person or paused:
            return
        if f.copy_explained_db is not None:
            self._learn_copy(f.copy_explained_db, f.in_dbfs)
        if (f.copy_explained_db is not None and f.copy_explained_db >= (t.copy_echo_db or 15.0)
                and f.in_dbfs >= t.min_level_dbfs):
            # frames the copy ear explains: the echo alone for sure, not the first frames of a
            # voice the speech models do not hear yet (which lifted both figures in a replay,
            # and switched the ear off under the voice it was hearing)
            a = t.copy_speech_alpha
            gain, frame_gain = self.echo_gain_db, f.in_dbfs - f.far_dbfs
            self.echo_gain_db = frame_gain if gain is None else (1 - a) * gain + a * frame_gain
            if f.copy_speech_prob is not None:
                prob = self.echo_copy_speech_prob
                self.echo_copy_speech_prob = f.copy_speech_prob if prob is None else (
                    (1 - a) * prob + a * f.copy_speech_prob)
        heard = self._mic_heard
        if len(heard) == heard.maxlen:
            self._mic_heard_count -= heard[0]
        now_heard = f.in_dbfs >= t.min_level_dbfs
        heard.append(now_heard)
        self._mic_heard_count += now_heard
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

    def _follow_copy_settling(self, f: TalkFrame, paused: bool) -> None:
        """The copy ear settles (``_copy_voice`` waits) after a fit that added to the mic
        (``copy_settle_ms``), and when the speaker starts again after ``copy_start_ms`` of
        silence that was not our pause (an answer's start, a long gap): then for
        ``copy_start_ms`` (see there)."""
        t = self.tuning
        if not paused and (f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs):
            self._far_quiet_ms += f.ms
            return
        if self._far_quiet_ms >= t.copy_start_ms:
            self._copy_settle_ms = max(self._copy_settle_ms, t.copy_start_ms)
        self._far_quiet_ms = 0.0
        if f.copy_explained_db is not None and f.copy_explained_db < -t.copy_misfit_db:
            self._copy_settle_ms = max(self._copy_settle_ms, t.copy_settle_ms)
        else:
            self._copy_settle_ms -= f.ms

    def restart(self) -> None:
        """The speaker stopped (the detector is fed only while it plays): the next answer
        starts after silence."""
        self._far_quiet_ms = max(self._far_quiet_ms, self.tuning.copy_start_ms)

    def _learn_copy(self, explained_db: float, in_dbfs: float) -> None:
        """Follow what the copy ear does with the echo alone: how much it explains of its
        louder half (~1 s), and the level of what it leaves (within ~200 ms; a frame left far
        over it as slowly as a word the speech model does not hear yet, ~1 s, so the first
        frames of a voice do not lift it)."""
        t = self.tuning
        slow, level = t.echo_erle_slow_alpha, self.echo_level_dbfs
        copy = self.echo_copy_db
        if level is None or in_dbfs >= level:
            self.echo_copy_db = explained_db if copy is None else (
                (1 - slow) * copy + slow * explained_db)
        left, floor = in_dbfs - explained_db, self.echo_copy_left_dbfs
        if floor is None:
            self.echo_copy_left_dbfs = left
            return
        a = slow if left >= floor + t.copy_over_db else t.echo_erle_alpha
        self.echo_copy_left_dbfs = (1 - a) * floor + a * left

    def _learn_linear(self, f: TalkFrame, is_person: bool) -> None:
        """Follow what the linear ear leaves of the echo. A frame far over that floor (or the
        person's) is a voice, or a linear canceller losing the echo: learnt slowly (~1 s), and
        learnt all the same, also while the speaker is paused (the reference is silent there
        once the speaker's buffer has played out), so a 200 ms word leaves the floor a few dB
        up and a canceller that lost the echo for good stops passing for a voice within a
        second, not in a loop of pauses."""
        t = self.tuning
        if (f.linear_dbfs is None or f.linear_in_dbfs is None
                or f.linear_in_dbfs < t.min_level_dbfs):
            return
        floor, erle = self.echo_linear_dbfs, self.echo_linear_erle_db
        removed = f.linear_in_dbfs - f.linear_dbfs
        recent = self.recent_linear_erle_db
        if recent is None or not is_person:  # a voice's frames are no news of the echo
            self.recent_linear_erle_db = removed if recent is None else (
                (1 - t.linear_recent_alpha) * recent + t.linear_recent_alpha * removed)
        if floor is None or erle is None:
            self.echo_linear_dbfs, self.echo_linear_erle_db = f.linear_dbfs, removed
            return
        a = (t.echo_erle_slow_alpha if is_person or f.linear_dbfs >= floor + t.linear_over_db
             else t.echo_erle_alpha)
        self.echo_linear_dbfs = (1 - a) * floor + a * f.linear_dbfs
        # a frame it removed next to nothing of is no voice under the echo: the filter lost
        # the echo (the path moved), and the ear stops counting within ~200 ms
        b = t.echo_erle_alpha if removed < t.linear_min_removed_db else a
        self.echo_linear_erle_db = (1 - b) * erle + b * removed
