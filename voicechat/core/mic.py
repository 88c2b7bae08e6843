"""The microphone gate: whether mic audio may reach the server right now, and why not.

Several independent reasons can close the mic (no device, the user's mute key, assistant
playback with barge-in off, a closed push-to-talk key). They are kept apart and combined by a
fixed priority, so that lifting one reason can never reopen a mic another reason still holds
shut — in particular the user's own mute always wins.

The playback reason is the delicate one. It is set when assistant audio starts and lifted:

* ``settle_s`` after playback ends (``output_audio_buffer.stopped`` / ``.cleared`` on WebRTC,
  ``PlaybackDrained`` on WebSocket), so the room's echo tail dies away first; and
* as a fallback, ``fallback_s`` after ``response.done`` when no audio evidence follows, because
  a server that never sends ``stopped`` (or a client that waits only for ``cleared``) would
  otherwise leave the mic muted for ever.

"Audio evidence" is anything showing assistant audio is still flowing: playback starting,
``PlaybackProgress`` that moved forward, or an audio delta. Each one pushes the fallback out, so a
long answer still playing after ``response.done`` keeps the mic shut for as long as it plays.
Both deadlines only ever *open* the mic; no deadline creates or cancels a response.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class MicState(StrEnum):
    """Whether mic audio is being sent."""

    LIVE = "live"
    MUTED = "muted"


class MicReason(StrEnum):
    """Why the mic is muted (or, for ``PTT_OPEN``, why it is live in push-to-talk mode)."""

    NO_DEVICE = "no_device"
    USER = "user"
    PLAYBACK = "playback"
    PTT_IDLE = "ptt_idle"
    PTT_OPEN = "ptt_open"


#: Mute reasons from strongest to weakest; the first that holds is the one reported.
PRIORITY: tuple[MicReason, ...] = (
    MicReason.NO_DEVICE,
    MicReason.USER,
    MicReason.PLAYBACK,
    MicReason.PTT_IDLE,
)

MIC_LABELS: dict[tuple[MicState, MicReason | None], str] = {
    (MicState.LIVE, None): "live",
    (MicState.LIVE, MicReason.PTT_OPEN): "ptt open",
    (MicState.MUTED, MicReason.PLAYBACK): "muted for playback",
    (MicState.MUTED, MicReason.USER): "muted by user",
    (MicState.MUTED, MicReason.PTT_IDLE): "ptt closed",
    (MicState.MUTED, MicReason.NO_DEVICE): "no device",
}


class MicGate:
    """Mutable gate state owned by :class:`voicechat.core.session.Session`.

    Whether audio is playing is :class:`voicechat.core.playback.Playback`'s to say; the session
    calls :meth:`playback_started` and :meth:`playback_ended` on its transitions.
    """

    def __init__(self, *, settle_s: float, fallback_s: float, mute_for_playback: bool) -> None:
        self.settle_s = settle_s
        self.fallback_s = fallback_s
        self.mute_for_playback = mute_for_playback
        self.available = True
        self.user_muted = False
        self.reported: MicReason | Literal["live"] | None = None
        self.playback_muted = False
        self.settle_deadline: float | None = None
        self.response_done_at: float | None = None
        self.last_audio_at: float | None = None

    # --- the user and the device --------------------------------------------------------

    def toggle_user_mute(self) -> None:
        self.user_muted = not self.user_muted

    def set_available(self, available: bool) -> None:
        self.available = available

    # --- playback --------------------------------------------------------------------------

    def playback_started(self, now: float) -> None:
        """Assistant audio began (playback went from idle to playing)."""
        self.settle_deadline = None
        self.last_audio_at = now
        if self.mute_for_playback:
            self.playback_muted = True

    def audio_evidence(self, now: float) -> None:
        self.last_audio_at = now

    def playback_ended(self, now: float) -> None:
        """Playback stopped (or was flushed): lift the playback mute once the echo settles.

        A repeated end signal keeps the first deadline: only real playback restarts the wait
        (a start always clears the deadline, so while playing there is none to keep).
        """
        if not self.playback_muted:
            self.settle_deadline = None
        elif self.settle_deadline is None:
            self.settle_deadline = now + self.settle_s

    def response_active(self) -> None:
        self.response_done_at = None

    def response_done(self, now: float) -> None:
        self.response_done_at = now

    def set_mute_for_playback(self, enabled: bool, *, playing: bool) -> None:
        """Barge-in was switched: mute for playback (at once, if ``playing``) or never."""
        self.mute_for_playback = enabled
        if not enabled:
            self.playback_muted = False
            self.settle_deadline = None
        elif playing:
            self.playback_muted = True

    def reset_playback(self) -> None:
        """Forget all playback state (transport closed: nothing can be playing any more)."""
        self.playback_muted = False
        self.settle_deadline = None
        self.response_done_at = None
        self.last_audio_at = None

    # --- deadlines -------------------------------------------------------------------------

    def fallback_deadline(self) -> float | None:
        if not self.playback_muted or self.response_done_at is None:
            return None
        since = self.response_done_at
        if self.last_audio_at is not None and self.last_audio_at > since:
            since = self.last_audio_at
        return since + self.fallback_s

    def next_deadline(self) -> float | None:
        if not self.playback_muted:
            return None
        fallback = self.fallback_deadline()
        if self.settle_deadline is None:
            return fallback
        if fallback is None:
            return self.settle_deadline
        return min(self.settle_deadline, fallback)

    def on_timer(self, now: float) -> str | None:
        """Apply expired deadlines; returns ``"settled"`` or ``"fallback"`` when the mute lifted.

        After ``"fallback"`` the caller ends playback: the answer is taken to be over.
        """
        if not self.playback_muted:
            return None
        if self.settle_deadline is not None and now >= self.settle_deadline:
            self.playback_muted = False
            self.settle_deadline = None
            return "settled"
        fallback = self.fallback_deadline()
        if fallback is not None and now >= fallback:
            self.playback_muted = False
            self.settle_deadline = None
            return "fallback"
        return None

    # --- the verdict -----------------------------------------------------------------------

    def state(self, ptt_open: bool | None = None) -> tuple[MicState, MicReason | None]:
        """The strongest reason that holds (in ``PRIORITY`` order), or live. Runs once per event.

        ``ptt_open`` is the talk key's state in a push-to-talk session, ``None`` in any other.
        """
        if not self.available:
            return MicState.MUTED, MicReason.NO_DEVICE
        if self.user_muted:
            return MicState.MUTED, MicReason.USER
        if self.playback_muted:
            return MicState.MUTED, MicReason.PLAYBACK
        if ptt_open is not None:
            if not ptt_open:
                return MicState.MUTED, MicReason.PTT_IDLE
            return MicState.LIVE, MicReason.PTT_OPEN
        return MicState.LIVE, None

    def report(self, ptt_open: bool | None = None) -> MicReason | Literal["live"] | None:
        """The verdict when it changed since the last report: ``"live"`` or the mute reason."""
        # what state() decides, in the same order, without building its tuple: once per event
        verdict: MicReason | Literal["live"]
        if not self.available:
            verdict = MicReason.NO_DEVICE
        elif self.user_muted:
            verdict = MicReason.USER
        elif self.playback_muted:
            verdict = MicReason.PLAYBACK
        elif ptt_open is False:
            verdict = MicReason.PTT_IDLE
        else:
            verdict = "live"
        if verdict == self.reported:
            return None
        self.reported = verdict
        return verdict
