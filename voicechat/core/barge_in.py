"""The barge-in state machine: does user speech over the assistant interrupt it?

The server runs VAD with ``interrupt_response: false`` (see :mod:`voicechat.core.policy`), so the
client decides. When the user starts speaking while the assistant is speaking (playing, or
generating), the barge-in is *pending*; it is confirmed only by evidence, never by a timer:

* the assistant guard is checked when speech starts: if assistant audio has been playing for less
  than ``min_assistant_speech_ms``, the speech is most likely the first syllables echoing back and
  is ignored;
* the user guard is met by mic audio sent after ``speech_started`` adding up to
  ``min_user_speech_ms`` plus the server VAD's ``silence_duration_ms`` (none for semantic VAD,
  which reports no such figure) with no ``speech_stopped``
  yet (the server reports a stop only after that much silence, so by then the user has spoken for
  at least ``min_user_speech_ms``), or at ``speech_stopped`` when the server-measured segment,
  less its ``prefix_padding_ms``, is that long.

A third guard is fed by the echo canceller (``EchoLeaking``): while the assistant's own voice
still leaks into the mic after cancellation, speech that starts during its turn is taken for that
echo and never pends, so the client cannot interrupt itself in a loop. The user is told once, by
the session, with the fix (headphones, or ``--no-barge-in``); a barge-in already pending when the
leak is found is dropped, and the session also mutes the mic for playback while it lasts (the
server's VAD would otherwise take the echo for user turns and answer them).

States: ``OFF`` (barge-in disabled, or not a VAD session: speech never interrupts), ``IDLE`` and
``PENDING``. Inputs are the speech boundaries, mic audio, the VAD settings the server reports and
the user's switch; each input returns a :class:`Verdict`: interrupt now, a guard's reason for
ignoring the speech, or nothing. The machine keeps no clock: ``now`` and when playback started are
passed in. What an interruption does (flush, cancel, clear, truncate) is the session's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from voicechat.core.policy import SessionPolicy
from voicechat.protocol.session_audio import DEFAULT_SILENCE_DURATION_MS


class BargeInState(StrEnum):
    OFF = "off"
    IDLE = "idle"
    PENDING = "pending"


@dataclass(frozen=True)
class Verdict:
    """What an input decided: ``interrupt`` the assistant, or ``ignored`` with the guard's reason.

    Both empty means nothing to do (no barge-in applies, or one is now pending).
    """

    interrupt: bool = False
    ignored: str | None = None


#: Said once per session, the first time the echo canceller finds echo leaking.
ECHO_LEAK_NOTICE = (
    "the assistant's voice is leaking into the mic (echo not cancelled): while it does, the mic "
    "is muted when the assistant speaks, so it cannot interrupt itself. Fix: use headphones, or "
    "run with --no-barge-in"
)

NOTHING = Verdict()
INTERRUPT = Verdict(interrupt=True)


@dataclass
class _Pending:
    item_id: str | None
    audio_start_ms: float | None
    mic_ms: float = 0.0


class BargeIn:
    """One session's barge-in decision, with both self-interruption guards."""

    def __init__(
        self,
        *,
        enabled: bool,
        vad: bool,
        min_assistant_speech_ms: float,
        min_user_speech_ms: float,
    ) -> None:
        self.enabled = enabled
        self._vad = vad
        self.min_assistant_speech_ms = min_assistant_speech_ms
        self.min_user_speech_ms = min_user_speech_ms
        self.silence_ms = float(DEFAULT_SILENCE_DURATION_MS)  # until session.updated says
        self.padding_ms = 0.0  # counted only once the server says it pads
        self.echo_leaking = False
        self.echo_hold = False
        #: the client's local detector judges speech over audible playback (SetLocalDetector);
        #: the server's segments then only decide while a response is generated, not played
        self.local_judge = False
        self._leak_told = False
        self._pending: _Pending | None = None

    @classmethod
    def for_policy(cls, policy: SessionPolicy) -> BargeIn:
        return cls(
            enabled=policy.barge_in,
            vad=policy.mode == "vad",
            min_assistant_speech_ms=policy.min_assistant_speech_ms,
            min_user_speech_ms=policy.min_user_speech_ms,
        )

    @property
    def state(self) -> BargeInState:
        if not (self.enabled and self._vad):
            return BargeInState.OFF
        return BargeInState.IDLE if self._pending is None else BargeInState.PENDING

    # --- settings --------------------------------------------------------------------------

    def set_enabled(self, enabled: bool) -> str | None:
        """The user's switch; turning it off drops a pending barge-in. Returns ``None``: nothing
        to tell (unlike :meth:`set_echo_leaking`)."""
        self.enabled = enabled
        if not enabled:
            self._pending = None
        return None

    def set_echo_leaking(self, leaking: bool, hold: bool = False) -> str | None:
        """The residual-echo verdict; a leak drops a pending barge-in (it was likely echo).
        ``hold``: only the underrun hold raised it (see :attr:`local_may_judge`).

        Returns the notice to show the first time echo leaks, else ``None``."""
        self.echo_leaking = leaking
        self.echo_hold = leaking and hold
        if not leaking:
            return None
        self._pending = None
        if self._leak_told:
            return None
        self._leak_told = True
        return ECHO_LEAK_NOTICE

    @property
    def local_may_judge(self) -> bool:
        """The local detector may pause and confirm: barge-in is on. A leak does not stop it
        (issue 38): a leak verdict on steady background noise (seen on the PulseAudio path with
        pink noise 20 dB under the voice) then lost every interruption while it lasted. It makes
        the detector strict instead (:attr:`local_strict`)."""
        return self.enabled

    @property
    def local_strict(self) -> bool:
        """A leak the canceller itself found (not the underrun hold alone, whose evidence is the
        detector's own): a confirmation then needs speech heard with the speaker paused, where
        no echo can pass for the person."""
        return self.echo_leaking and not self.echo_hold

    @property
    def mutes_playback(self) -> bool:
        """Speech over playback cannot interrupt (barge-in off, or echo leaking): the session
        then mutes the mic for playback, so the server's VAD never hears the assistant."""
        return not self.enabled or self.echo_leaking

    def follow_vad(
        self, silence_ms: float | None, padding_ms: float | None, kind: str | None = None
    ) -> None:
        """The server's ``turn_detection`` timings (``None`` or negative: unchanged).

        ``kind`` is the VAD type the server reports. ``semantic_vad`` has neither a silence
        duration nor prefix padding (it ends a turn when the model thinks the user is done), so
        the user guard then counts the user's own speech only, not an assumed 200 ms of silence;
        ``server_vad`` without figures goes back to the service's defaults.
        """
        if kind == "semantic_vad":
            self.silence_ms = 0.0
            self.padding_ms = 0.0
        elif kind == "server_vad" and silence_ms is None:
            self.silence_ms = float(DEFAULT_SILENCE_DURATION_MS)
        if silence_ms is not None and silence_ms >= 0:
            self.silence_ms = silence_ms
        if padding_ms is not None and padding_ms >= 0:
            self.padding_ms = padding_ms

    # --- evidence --------------------------------------------------------------------------

    def speech_started(
        self,
        now: float,
        item_id: str | None,
        audio_start_ms: float | None,
        *,
        assistant_speaking: bool,
        playing_since: float | None,
    ) -> Verdict:
        """User speech began; ``playing_since``: when assistant audio started (``None``: silent)."""
        if self.state is BargeInState.OFF or not assistant_speaking or self.echo_leaking:
            return NOTHING  # leaking: the session has said why, once (see the module doc)
        if playing_since is not None and self.local_judge:
            return NOTHING  # the local detector has judged (or is judging) this speech
        if playing_since is not None:
            heard_ms = (now - playing_since) * 1000.0
            if heard_ms < self.min_assistant_speech_ms:
                return Verdict(
                    ignored=f"speech ignored: the assistant had played only "
                    f"{heard_ms:.0f} ms (self-interruption guard)"
                )
        if self.min_user_speech_ms <= 0:
            self._pending = None
            return INTERRUPT
        self._pending = _Pending(item_id, audio_start_ms)
        return NOTHING

    def mic_audio(self, ms: float) -> Verdict:
        """Mic audio sent while speech is pending: enough of it, with no stop yet, confirms."""
        pending = self._pending
        if pending is None:
            return NOTHING
        pending.mic_ms += ms
        if pending.mic_ms >= self.min_user_speech_ms + self.silence_ms:
            self._pending = None
            return INTERRUPT
        return NOTHING

    def speech_stopped(self, duration_ms: float | None, audio_end_ms: float | None) -> Verdict:
        """The server's stop: the segment (``duration_ms`` when measured) decides, padding off."""
        pending = self._pending
        if pending is None:
            return NOTHING
        self._pending = None
        duration = duration_ms
        if duration is None and pending.audio_start_ms is not None and audio_end_ms is not None:
            duration = audio_end_ms - pending.audio_start_ms
        if duration is not None:
            duration -= self.padding_ms
        if duration is not None and duration >= self.min_user_speech_ms:
            return INTERRUPT
        length = f"{duration:.0f} ms of" if duration is not None else "unmeasured"
        return Verdict(
            ignored=f"speech ignored: {length} speech is below min_user_speech_ms "
            "(self-interruption guard)"
        )

    def drop(self) -> None:
        """Forget a pending barge-in (interrupted anyway, assistant done, connection lost)."""
        self._pending = None
