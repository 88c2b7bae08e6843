"""The linear ear of the local barge-in detector (issue 38): what a linear-only echo canceller
(``audio/echo/linear.py``, Speex's) leaves of the mic, and what that says of a frame.

AEC3's suppressor removes a voice quieter than the echo whole during double talk; a linear
canceller subtracts its estimate of the echo and suppresses nothing, so the echo alone leaves a
floor and a voice stands over it at its own level (``core/talk_frames.py``'s module doc has the
figures). Sans-IO: frames in, verdicts out, with what it learns from the frames of the
assistant alone.
"""

from __future__ import annotations

from voicechat.core.talk_frame_types import LocalTuning, TalkFrame


class LinearEar:
    """The linear canceller's residual as an ear: a voice over its floor, or only the echo."""

    def __init__(self, tuning: LocalTuning) -> None:
        self.tuning = tuning
        #: what the linear ear leaves of the echo alone, and how much of the echo it removes
        #: (see :meth:`hears`)
        self.echo_linear_dbfs: float | None = None
        self.echo_linear_erle_db: float | None = None
        #: what it removed of the last few frames of the assistant alone: a linear canceller
        #: that lost the echo removes next to nothing frame after frame
        self.recent_linear_erle_db: float | None = None

    def hears(self, f: TalkFrame, min_level_dbfs: float) -> bool:
        """The second ear (issue 38): AEC3's suppressor removes a voice quieter than the echo
        whole during double talk (48-65 dB of "Wait."), so neither the speech detector nor the
        levels above hear it. A linear-only canceller subtracts its estimate of the echo and
        suppresses nothing: the echo alone leaves a floor (``echo_linear_dbfs``, learnt like the
        room's), and a voice stands over it at its own level. A frame while the assistant
        talks is the person's when its linear residual is ``linear_over_db`` over that floor,
        loud enough (``linear_min_dbfs``, scaled to the scene by the caller:
        ``min_level_dbfs``), removed ``linear_double_talk_db`` less than the echo alone (a loud
        syllable of the echo leaves a residual well over the floor too: it was removed like
        echo), and still under the mic by ``linear_min_removed_db``
        (a linear canceller that lost the echo removes nothing: that is no voice); and only
        once the linear canceller has converged (it removes ``linear_trusted_db`` of the echo
        alone: at the start of a session its residual is the echo itself). It can pause the
        speaker; confirming still needs speech the detector is sure of (``sure_ms``)."""
        t = self.tuning
        floor, erle = self.echo_linear_dbfs, self.echo_linear_erle_db
        if (f.linear_dbfs is None or f.linear_in_dbfs is None or floor is None or erle is None
                or not self.trusted() or f.far_dbfs is None
                or f.far_dbfs < t.far_floor_dbfs):
            return False
        removed = f.linear_in_dbfs - f.linear_dbfs
        return (f.linear_dbfs >= floor + t.linear_over_db
                and f.linear_dbfs >= min_level_dbfs
                and t.linear_min_removed_db <= removed <= erle - t.linear_double_talk_db)

    def echo_only(self, f: TalkFrame) -> bool:
        """The second ear's veto: with the linear canceller converged (``linear_trusted_db``)
        and its residual within ``linear_echo_only_db`` of what it leaves of the echo alone,
        the frame holds no voice (a linear filter cannot remove one); what AEC3 let through is
        residual echo, as while it converges at the start of a session."""
        t = self.tuning
        floor = self.echo_linear_dbfs
        return (t.linear_echo_only_db is not None and f.linear_dbfs is not None
                and floor is not None and self.trusted()
                and f.linear_dbfs <= floor + t.linear_echo_only_db)

    def trusted(self) -> bool:
        """The linear canceller removes ``linear_trusted_db`` of the echo alone, and did of the
        last few frames: it has converged, and not lost the echo since."""
        t = self.tuning
        erle, recent = self.echo_linear_erle_db, self.recent_linear_erle_db
        return (erle is not None and recent is not None and erle >= t.linear_trusted_db
                and recent >= t.linear_trusted_db)


    def learn(self, f: TalkFrame, is_person: bool) -> None:
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

    def still_removing(self, f: TalkFrame) -> bool:
        """The linear canceller removed ``linear_min_removed_db`` of this frame: it has not lost
        the echo here (one that lost it removes nothing, or adds to the mic)."""
        return (f.linear_dbfs is not None and f.linear_in_dbfs is not None
                and f.linear_in_dbfs - f.linear_dbfs >= self.tuning.linear_min_removed_db)

    def over_its_floor(self, f: TalkFrame) -> bool:
        """Converged, and this frame stands ``linear_over_db`` over what it leaves of the echo
        alone (one of the two ears of a short word heard clearly)."""
        floor = self.echo_linear_dbfs
        return (f.linear_dbfs is not None and floor is not None and self.trusted()
                and f.linear_dbfs >= floor + self.tuning.linear_over_db)
