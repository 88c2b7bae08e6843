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
level. A frame ``linear_over_db`` over that floor is the person's (``LinearEar.hears``); it
pauses the speaker, and a confirmation still needs speech the detector is sure of. The other
way round, a frame whose linear residual stays at that floor holds no voice, whatever AEC3 let
through (``LinearEar.echo_only``). Both wait until the linear canceller removes
``linear_trusted_db`` of the echo alone, of late too (3-20 s into a session on the PulseAudio
loop), and stop within ~100 ms of it losing the echo (a speaker underrun moves the echo path;
it takes seconds to converge again): then the detector works on AEC3's figures alone, as
before.

A third ear, the copy ear (``audio/echo/copy_ear.py``), finds the speaker's sound in the raw
mic on any delay within 20 ms, where both cancellers take a second or more to re-learn a path
that moved. It vetoes frames it explains (``_delayed_copy``); and on a simple path (a delay and
a gain, which it explains 20-60 dB of) what its fit leaves is a canceller's output that
suppresses nothing, so the speech model hears a voice there that AEC3 removed
(``core/copy_voice.py``, issue 53: a sentence as loud as the echo, 50-70 dB of it removed for 700 ms
after the grid's loop jumped to 120 ms).

Where each of those two ears' own rule stays silent, the two agreeing make the frame the
person's (:data:`TWO_QUIET_EARS`, ``FrameJudge._two_quiet_ears``): a word's end as loud as the
echo, which AEC3 suppressed, the linear canceller removing more of it than a voice under the
echo leaves and the mic no louder against the reference than the echo alone.

Four frames owe nothing to AEC3's residual (:data:`LINEAR_VOICE`, :data:`COPY_VOICE`,
:data:`TWO_QUIET_EARS`, :data:`AFTER_A_WORD`): the detector counts them as clean where a leak
verdict makes it strict (below). The last is a lower speech bar with the speaker paused past
its tail and the reference silent, once the person has said a word (``paused_speech_prob``):
there the mic holds the room and whoever is in it, no echo, and the speech detector gave the
rest of "Wait — no, stop that" 0.30-0.48 all through at -33 dBFS (the grid's quiet cell on a
busy machine), so the speaker resumed over it.
"""

from __future__ import annotations

from voicechat.core.copy_voice import EXPLAINED_ECHO_DB, CopyHeard, CopyVoiceEar
from voicechat.core.linear_voice import LinearEar
from voicechat.core.mic_hearing import MicHearing
from voicechat.core.talk_frame_types import LocalTuning, TalkFrame

__all__ = ["AFTER_A_WORD", "COPY_VOICE", "DELAYED_COPY", "LINEAR_VOICE", "TWO_QUIET_EARS",
           "WORD_UNDER_THE_ECHO", "FrameJudge", "LocalTuning", "TalkFrame"]


#: the reasons :meth:`FrameJudge.person` gives that need no trust in AEC3's residual: the linear
#: ear heard the voice over the echo, or the speaker was paused and its tail gone
LINEAR_VOICE = "the linear ear hears a voice over the echo"
#: the third ear's veto: the raw mic is the speaker's sound on some delay, nothing else
DELAYED_COPY = "the mic is the speaker's own sound, delayed"
#: the copy ear's residual: a voice left when a delayed copy of the speaker is taken out
COPY_VOICE = "a voice left when the speaker's delayed copy is taken out"
#: ... and the rest of a word it heard, under the echo (the copy ear's
#: level test waived: ``LocalTuning.copy_paused_word_ms``); counted as :data:`COPY_VOICE` is
WORD_UNDER_THE_ECHO = "the rest of a word under the echo, left when the delayed copy is taken out"
AFTER_A_WORD = "speech after a word, with the speaker paused (a lower bar)"
#: the two ears that suppress nothing agree (see ``FrameJudge._two_quiet_ears``)
TWO_QUIET_EARS = "the linear ear and the copy ear's residual both hear a voice"


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
        #: the second ear: what the linear canceller leaves (core/linear_voice.py)
        self.linear_ear = LinearEar(tuning)
        #: the fourth ear: the copy ear's residual (core/copy_voice.py)
        self.copy_ear = CopyVoiceEar(tuning)
        #: of the recent frames of the assistant alone, whether the mic heard anything
        #: (see ``_mic_deaf_to_the_speaker``)
        self._mic_hearing = MicHearing()

    @property
    def echo_linear_dbfs(self) -> float | None:
        """What the linear ear leaves of the echo alone (dBFS), for the decisions' evidence."""
        return self.linear_ear.echo_linear_dbfs

    def person(self, f: TalkFrame, since_pause_ms: float | None = None, *,
               after_a_word: bool = False, clear_ms: float = 0.0,
               word_left_dbfs: float | None = None) -> tuple[bool, str]:
        """Is this frame the person's (not the assistant's echo)? And the reason, for the log.
        ``since_pause_ms``: how long the speaker has been paused (``None``: it plays);
        ``after_a_word``: the person has said a word in this episode (``word_ms``);
        ``clear_ms``: how much of it was heard clearly (``clear_word_ms``'s count), and
        ``word_left_dbfs`` the level the copy ear left of those frames (its mean, dBFS)."""
        t = self.tuning
        # a word heard clearly goes on under the echo, while the speaker plays or within the
        # tail of our pause (see ``LocalTuning.copy_paused_word_ms``)
        word_going_on = (t.copy_paused_word_ms is not None
                         and (since_pause_ms is None or since_pause_ms < t.echo_tail_ms)
                         and clear_ms >= t.copy_paused_word_ms)
        if self._delayed_copy(f):
            return False, DELAYED_COPY
        if self._mic_deaf_to_the_speaker(f):
            prob = max(f.speech_prob, f.raw_speech_prob or 0.0)
            level = max(f.out_dbfs, f.in_dbfs if f.in_dbfs is not None else -120.0)
            if prob >= t.speech_prob and level >= t.min_level_dbfs:
                return True, "speech, and the mic does not hear the assistant"
            return False, "no speech"
        # the copy ear's word first: where both ears hear a frame, its residual's speech model
        # is the surer evidence (it counts toward ``sure_ms`` and a clear word)
        level = self._scaled(t.min_level_dbfs)
        heard = self.copy_ear.hears(f, level,
                                    word_left_dbfs=word_left_dbfs if word_going_on else None)
        if heard is not None and not self.linear_ear.echo_only(f):
            return True, COPY_VOICE if heard is CopyHeard.VOICE else WORD_UNDER_THE_ECHO
        if self.linear_ear.hears(f, self._scaled(t.linear_min_dbfs)):
            return True, LINEAR_VOICE
        if self._two_quiet_ears(f):
            return True, TWO_QUIET_EARS
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
        if self.linear_ear.echo_only(f):
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
        """The assistant talks and the mic has not heard it (``core/mic_hearing.py``). (Left
        alone: an echo that first reaches the mic seconds into an answer, in a room with a long
        echo the copy ear does not explain.)"""
        return (self._mic_hearing.deaf() and f.far_dbfs is not None
                and f.far_dbfs >= self.tuning.far_floor_dbfs)

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

    def _two_quiet_ears(self, f: TalkFrame) -> bool:
        """The two ears that suppress nothing agree on a voice where each alone stays silent
        (issue 53): the linear ear hears the frame far over what it leaves of the echo alone,
        its canceller still removing something of it, and the copy ear, trusted and settled,
        finds little of the speaker in it while the speech model on its residual is sure.
        espeak en-gb+m3's "Stop." 4 dB over the echo on the grid's +300 ppm path (seed 72)
        was heard 80 ms, short of ``clear_word_ms``, and resumed: at its end AEC3 suppressed
        it, the linear canceller removed more of it than a voice under the echo leaves
        (``linear_double_talk_db``), and the mic stood no ``copy_louder_db`` over the echo's
        gain. Together the two ears are what ``heard_clearly`` already counts toward a short
        word; here they are also the person's frame, so the word's end counts.

        Not where the linear canceller removes under ``linear_min_removed_db`` of the frame:
        on the grid's 10 ms loop, an answer going on after a pause left the linear ear trusted
        with its filter removing nothing (-1.4 to 0 dB) and the copy ear explaining 3-6 dB of
        the echo, its residual's model at 0.7-0.9; counted, those frames made a barge-in with
        nobody talking (seed 74)."""
        t = self.tuning
        return (self._quiet_ears_agree(f)
                and f.in_dbfs is not None and f.in_dbfs >= self._scaled(t.min_level_dbfs)
                and f.copy_explained_db is not None and f.copy_explained_db >= -t.copy_misfit_db
                and self.copy_ear.trusted_and_settled()
                and self.linear_ear.still_removing(f))

    def _quiet_ears_agree(self, f: TalkFrame) -> bool:
        """The reference plays, the linear ear hears the frame over its floor, the copy ear
        finds at most ``copy_voice_db`` of the speaker in it, and the speech model on its
        residual is sure (``clear_copy_prob``): what a clear word and ``_two_quiet_ears``
        both start from."""
        t = self.tuning
        return (f.far_dbfs is not None and f.far_dbfs >= t.far_floor_dbfs
                and f.copy_explained_db is not None and f.copy_explained_db <= t.copy_voice_db
                and (f.copy_speech_prob or 0.0) >= t.clear_copy_prob
                and self.linear_ear.over_its_floor(f))

    def heard_clearly(self, f: TalkFrame) -> bool:
        """Two ears say this frame of the assistant talking holds a voice (see
        ``clear_word_ms``): AEC3 kept it (nearly) whole while it removes a trusted ERLE of the
        echo alone, no residual echo looks like that; and the linear ear hears it far over what
        it leaves of the echo, or the copy ear finds little of the speaker in it. One ear alone
        is a cough's worth of evidence; the longer count (``confirm_ms``) decides then. (The
        copy ear alone is not evidence of a voice: replayed over the grid's traces, frames of
        the echo it explained 6 dB or less of, after a gap or on a fricative, with the raw
        mic's speech model sure, made 1-37 false barge-ins a cell.)

        Or AEC3's suppressor removed the frame (18-34 dB of hts2a's "Stop" 6 dB under the
        echo on the grid's 200 ms path, whose own tail then covered the word's end: 80 ms
        heard clearly, short of ``clear_word_ms``, and resumed) while the two ears that
        suppress nothing agree: the linear ear hears it far over its floor, the copy ear finds
        little of the speaker in it, and the speech model on the copy ear's residual is sure
        (``clear_copy_prob``). Over five kept grid runs (115 cells), frames of the echo alone
        met that 4 times, all on the 10 ms loop whose reference AEC3 misaligned, at most two
        in a row (40 ms, under ``clear_word_ms``); 120 interruptions had such frames."""
        t = self.tuning
        erle = self.echo_erle_db
        if f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs:
            return False
        if self._quiet_ears_agree(f):
            return True
        copy = f.copy_explained_db is not None and f.copy_explained_db <= t.copy_voice_db
        linear = self.linear_ear.over_its_floor(f)
        if (self.speech_prob(f) < t.clear_speech_prob or f.in_dbfs is None or erle is None
                or erle < t.trusted_erle_db or f.in_dbfs - f.out_dbfs > t.kept_whole_db):
            return False
        return linear or copy

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
        self.copy_ear.follow(f, paused=paused)
        if f.in_dbfs is None or f.far_dbfs is None or f.far_dbfs < t.far_floor_dbfs:
            return
        self.linear_ear.learn(f, is_person)
        if (f.copy_explained_db is not None and f.copy_explained_db >= EXPLAINED_ECHO_DB
                and f.in_dbfs >= t.min_level_dbfs):
            self._mic_hearing.proven()
        if is_person or paused:
            return
        self.copy_ear.learn(f, self.echo_level_dbfs)
        self._mic_hearing.frame(f.in_dbfs >= t.min_level_dbfs)
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

    def restart(self) -> None:
        """The speaker stopped (the detector is fed only while it plays): the next answer
        starts after silence."""
        self.copy_ear.restart()
