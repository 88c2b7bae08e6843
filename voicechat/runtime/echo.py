"""Echo cancellation in the conversation: whether it runs, wiring it in, and what it reports.

Why here: only the runtime knows both ends of the acoustic path — what the speaker device really
played and what the mic device captured — and whether they are devices at all. A ``--mic FILE``
or ``--speaker FILE|none`` run has no acoustic path, so there is nothing to cancel.

:class:`EchoControl` decides at start-up (``aec`` setting: on, off, or automatic = on when both
ends are sound devices), builds the :class:`~voicechat.audio.echo.EchoCanceller` for the formats
the devices actually opened with (a device that refuses 48 kHz or mono is resampled or mixed by
the stage), and hooks it into both devices' audio callbacks: the speaker's for the far end,
the mic's to clean each captured block before anything else sees it. Every way it
can fail — the package missing (``AecUnavailable``), no device, a stage that cannot start — is
one notice with the fix, and the conversation goes on with AEC off, which keeps today's safe
behaviour: the mic is muted while the assistant speaks unless barge-in was asked for.

While it runs, :meth:`EchoControl.run` polls the stage: residual-echo verdicts become the core's
``EchoLeaking`` input (the barge-in guard) and ``local.aec.leak`` events; the echo return loss
enhancement and the delay become ``local.aec.metrics`` at most every :data:`METRICS_EVERY_S`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any, Protocol

from voicechat.audio.echo.underrun import UnderrunHold
from voicechat.audio.ports import MicSource, SpeakerSink
from voicechat.config import Settings
from voicechat.runtime.fanout import EventFanout
from voicechat.ui.handle import AecStatus

#: ``0`` runs the echo stage without its linear ear (the barge-in detector then hears AEC3's
#: output alone, as before issue 38), a number of ms sets its filter's length: a developer's
#: switch for A/B runs of the benches
LINEAR_EAR_ENV = "VOICECHAT_LINEAR_EAR"
POLL_S = 0.05  # a leak verdict must reach the core before the barge-in it should stop
METRICS_EVERY_S = 5.0
NO_AEC_FIX = (
    "the mic stays muted while the assistant speaks; to talk over it, use headphones and "
    "--barge-in"
)


class LeakSink(Protocol):
    """Who hears the canceller's verdicts: each API family's driver (the Realtime one gates the
    mic and the local barge-in detector on them; GPT-Live's never gates its mic)."""

    def echo_leaking(self, leaking: bool, hold: bool = False) -> None:
        """``leaking``: residual echo reaches the mic; ``hold``: only the underrun hold says
        so (the detector may stay on)."""


class EchoControl:
    """One conversation's echo canceller (or the reason there is none)."""

    def __init__(
        self, settings: Settings, events: EventFanout, driver: LeakSink,
        clock: Callable[[], float], *, no_aec_fix: str = NO_AEC_FIX,
    ) -> None:
        self._no_aec_fix = no_aec_fix  # what to do without it (GPT-Live never mutes the mic)
        self._settings = settings
        self._events = events
        self._driver = driver
        self._clock = clock
        self._stage: Any = None  # an EchoCanceller once running
        self._devices: tuple[Any, Any] = (None, None)  # (mic, speaker) it is wired into
        self._status = AecStatus()
        self._last_metrics_at: float | None = None
        self._last_metrics: tuple[Any, ...] | None = None
        self._hold = UnderrunHold()  # the guard after a speaker underrun (echo/underrun.py)
        self._held = False
        self._stage_leaking = False  # the stage's own latest verdict

    @property
    def running(self) -> bool:
        return self._stage is not None

    @property
    def stage(self) -> Any:
        """The running :class:`~voicechat.audio.echo.EchoCanceller` (``None`` when off)."""
        return self._stage

    @property
    def status(self) -> AecStatus:
        """State and live figures for the status bar."""
        stage = self._stage
        if stage is None:
            return self._status
        m = stage.metrics
        return AecStatus(state="on", reason=self._status.reason, erle_db=m.erle_db,
                         delay_ms=m.delay_ms, leaking=m.echo_leaking)

    # --- start-up --------------------------------------------------------------------------------

    def setup(self, mic: MicSource | None, speaker: SpeakerSink) -> bool:
        """Decide, build and wire the canceller; ``True`` when it runs."""
        wanted = self._settings.aec
        if wanted is False:
            self._off("off", "turned off (--no-aec)")
            return False
        missing = self._no_acoustic_path(mic, speaker)
        if missing is not None:
            self._off("off", missing)
            if wanted:  # asked for with --aec; otherwise the device notices have said it all
                self._events.notice("warning",
                                    f"echo cancellation off: {missing}; {self._no_aec_fix}")
            return False
        far_rate = int(getattr(speaker, "rate", 48000))
        far_channels = int(getattr(speaker, "channels", 1))
        near_rate = int(getattr(mic, "rate", 48000))
        near_channels = int(getattr(mic, "channels", 1))
        try:
            from voicechat.audio.echo import AecOptions, AecUnavailable, EchoCanceller
        except ImportError as exc:  # numpy missing or broken: as good as unavailable
            return self._failed(f"echo cancellation unavailable ({exc})")
        # a developer's switch for A/B runs of the barge-in benches (issue 38), not a setting
        ear = os.environ.get(LINEAR_EAR_ENV, "")
        # the barge-in detector's ears stay off until a detector listens (it turns them on:
        # runtime/bargein.py): they are most of the mic callback's work, and GPT-Live and
        # Gemini Live, which have no detector, fell behind real time with them (issue 77)
        options = AecOptions(ears=False) if not ear.isdecimal() else AecOptions(
            linear_filter_ms=int(ear), ears=False)
        try:
            stage = EchoCanceller(far_rate=far_rate, far_channels=far_channels,
                                  near_rate=near_rate, near_channels=near_channels,
                                  options=options)
        except AecUnavailable as exc:
            return self._failed(str(exc))
        except Exception as exc:  # a format the stage cannot take, the FFI refusing, ...
            return self._failed(f"echo cancellation could not start ({exc})")
        self._stage = stage
        self._devices = (mic, speaker)
        speaker.tap = stage.process_far  # type: ignore[attr-defined]
        mic.clean = stage.process_near  # type: ignore[union-attr]
        mic.measure = stage.take_evidence  # type: ignore[union-attr]
        detail = _adapted(far_rate, far_channels)
        self._status = AecStatus(state="on", reason=detail)
        event: dict[str, Any] = {"type": "local.aec.state", "enabled": True}
        if detail:
            event["detail"] = detail
        linear_off = getattr(stage, "linear_unavailable", None)
        if linear_off:  # the barge-in detector hears AEC3's output alone, as before issue 38
            event["linear_ear"] = linear_off
        self._events.local(event)
        return True

    def _no_acoustic_path(self, mic: MicSource | None, speaker: SpeakerSink) -> str | None:
        """Why there is no speaker-to-mic path to cancel (``None``: there is one).

        A missing device has had its own notice with the fix (``audio_setup``); without a mic
        nothing is sent, and without a speaker nothing is heard, so nothing can echo."""
        if mic is None or mic.kind != "device" or not hasattr(mic, "clean"):
            if _is_file_or_none(self._settings.mic):
                return "the mic is a file or none"
            return "no microphone device"
        if speaker.kind != "device" or not hasattr(speaker, "tap"):
            if _is_file_or_none(self._settings.speaker):
                return "the speaker is a file or none"
            return "no speaker device"
        return None

    def _off(self, state: str, reason: str) -> None:
        self._status = AecStatus(state=state, reason=reason)
        self._events.local({"type": "local.aec.state", "enabled": False, "reason": reason})

    def _failed(self, message: str) -> bool:
        self._off("unavailable", message)
        if "pip install" in message:
            self._events.notice("warning", message)
        else:
            self._events.notice("warning", f"{message}; {self._no_aec_fix}")
        return False

    # --- reporting -------------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            self.poll()

    def poll(self) -> None:
        """Residual-echo verdicts to the core and the log; metrics to the log now and then."""
        stage = self._stage
        if stage is None:
            return
        for verdict in stage.take_verdicts():
            event: dict[str, Any] = {"type": "local.aec.leak", "leaking": verdict.leaking}
            if verdict.peak is not None:
                event["strength"] = round(verdict.peak.strength, 2)
            if verdict.low_erle_db is not None:  # found by a sustained low ERLE
                event["erle_db"] = verdict.low_erle_db
            self._events.local(event)
            self._stage_leaking = verdict.leaking
            if not self._held:
                self._driver.echo_leaking(verdict.leaking)
            else:  # a hold keeps the guard up whatever the stage says; a real leak within it
                self._driver.echo_leaking(True, hold=not verdict.leaking)  # stops the detector
        now = self._clock()
        self._follow_underruns(now)
        if self._last_metrics_at is not None and now - self._last_metrics_at < METRICS_EVERY_S:
            return
        m = stage.metrics
        delay = round(m.delay_ms) if m.delay_ms is not None else None
        shown = (m.erle_db, delay)
        if m.erle_db is None or shown == self._last_metrics:  # nothing measured yet
            return
        self._last_metrics_at, self._last_metrics = now, shown
        mic, speaker = self._devices
        # late audio callbacks make the sound server re-buffer, which moves the echo delay
        event = {"type": "local.aec.metrics", "erle_db": m.erle_db, "delay_ms": delay,
                 "underruns": int(getattr(speaker, "underruns", 0)),
                 "overflows": int(getattr(mic, "overflows", 0))}
        if m.drift_ppm is not None:  # the speaker's and the mic's clocks apart (drift.py)
            event["drift_ppm"] = round(m.drift_ppm)
        self._events.local(event)


    def _follow_underruns(self, now: float) -> None:
        held = self._hold.update(int(getattr(self._devices[1], "underruns", 0)), now)
        if held == self._held:
            return
        self._held = held
        leaking = held or self._stage_leaking
        self._events.local({"type": "local.aec.leak", "leaking": leaking,
                            "cause": "speaker underrun" if held else "underrun hold over"})
        # the hold alone mutes the mic to the server but leaves the local barge-in detector on
        self._driver.echo_leaking(leaking, hold=held and not self._stage_leaking)


def _is_file_or_none(spec: str | None) -> bool:
    if spec is None:
        return False
    low = spec.lower()
    return low == "none" or low.endswith(".wav")


def _adapted(rate: int, channels: int) -> str:
    """What the stage adapts for the speaker's format (empty when it is 48 kHz mono)."""
    parts = []
    if rate != 48000:
        parts.append(f"speaker at {rate} Hz, resampled")
    if channels != 1:
        parts.append(f"speaker in {channels} channels, mixed to mono")
    return "; ".join(parts)
