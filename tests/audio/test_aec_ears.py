"""The echo canceller's barge-in ears run only for a local barge-in detector (issue 77).

Why: the stage measures more than it cancels. Beside AEC3 it runs the local barge-in
detector's ears on every 10 ms mic frame, in the mic's audio callback: the linear ear (Speex),
the copy ear (the raw mic against the speaker on every delay up to 700 ms) and the reference
re-timed for them. Only Realtime's local detector reads what they hear (``take_evidence``).
GPT-Live and Gemini Live have no such detector, yet ran them all the same.

Issue 77: ``tests/audio/test_live_aec_barge_in.py`` failed with the answer stopped before the
user spoke (342 ms before the interruption's voice in the report; 1.4 s in a run here). The
event logs of such runs showed the server's user turn was the answer's own words ("the real on
lending in" for "the moon landing in"), starting 0-2 s into the answer, and the mic audio the
server got (a sideband's copy) carried the echo at -25 to -35 dBFS, uncancelled. The cause was
the mic callback: timed inside the client it took 3 ms per 20 ms block while the assistant was
quiet and 40-136 ms while it spoke, so on the busy machine (two cores, a load of 6-9) the
capture fell behind by 0.5-0.7 s for every second of the answer (PortAudio's ADC time trailed its
current time by up to 6 s; the appends reached the server seconds late), the canceller's
delay estimate jumped to 242-589 ms and its ERLE fell to 1-15 dB, and the server's VAD took the
echo for the user and stopped the answer. Measured on the stage alone, the ears were 7-8 of its
8.7-10 ms of CPU per 20 ms block (the cancellation itself the same with or without them).

So the runtime builds the stage with the ears off (``runtime/echo.py``) and the local detector
turns them on as it starts (``runtime/bargein.py``). The stage is fed here as the two audio
callbacks feed it (``tests/audio/echo_signals.bursty_run``), through the hooks ``EchoControl``
puts on the devices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tests.audio.echo_signals import bursty_run, db, scene
from tests.conftest import require_or_skip
from tests.runtime.fakes import Parts
from voicechat.config import Settings
from voicechat.runtime.bargein import LocalDetector
from voicechat.runtime.echo import EchoControl
from voicechat.runtime.fanout import EventFanout

#: the evidence's fields only the ears fill: the linear ear's residual and the mic it heard,
#: the copy ear's figure, its residual audio, the mic over the reference on its lag
EARS = (3, 4, 5, 7, 8)


@dataclass
class Device:
    """A sound device as the echo control sees one: 48 kHz mono."""

    kind: str = "device"
    rate: int = 48000
    channels: int = 1


@dataclass
class Mic(Device):
    """The mic (``audio/devices.py``'s ``DeviceSource``): the hooks the echo control sets."""

    clean: Any = None
    measure: Any = None


@dataclass
class Speaker(Device):
    tap: Any = None


class NoGate:
    """GPT-Live's and Gemini's drivers: the canceller's verdicts gate nothing."""

    def echo_leaking(self, leaking: bool, hold: bool = False) -> None:
        pass


def echo_control() -> tuple[EchoControl, Mic, Speaker]:
    """The echo control as a runtime sets it up, on two devices."""
    settings = Settings(server="local", mic=None, speaker=None)
    control = EchoControl(settings, EventFanout(time.monotonic), NoGate(), time.monotonic)
    mic, speaker = Mic(), Speaker()
    if not control.setup(mic, speaker):  # type: ignore[arg-type]
        require_or_skip(False, f"echo cancellation unavailable: {control.status.reason}")
    return control, mic, speaker


def callbacks(control: EchoControl, mic: Mic, seconds: float = 4.0
              ) -> tuple[list[tuple[Any, ...]], float]:
    """An answer's echo through the devices' hooks, as the audio callbacks call them: the
    evidence of every frame, and the ERLE over the last second (the canceller converged)."""
    sc = scene(seconds)
    evidence: list[tuple[Any, ...]] = []
    outs = []
    for _, out in bursty_run(control.stage, sc, stamped=True):
        evidence += mic.measure()
        outs.append(out)
    cleaned = np.concatenate(outs)
    last = slice(cleaned.size - sc.rate, cleaned.size)
    return evidence, -db(cleaned[last], sc.mic[last])


def test_without_a_local_detector_the_mic_callback_only_cancels() -> None:
    """GPT-Live's echo control: no ear runs (their figures stay ``None`` on every frame) and
    the echo is cancelled as well as ever. Before the fix every frame carried them."""
    control, mic, _ = echo_control()
    evidence, erle = callbacks(control, mic)
    assert evidence
    heard = [e for e in evidence if any(e[i] is not None for i in EARS)]
    assert not heard, f"{len(heard)} of {len(evidence)} frames ran the barge-in ears"
    assert erle > 20.0


async def test_the_local_detector_turns_the_ears_on() -> None:
    """Realtime with barge-in: the detector starts on the running canceller and hears with its
    ears from then on (the linear ear and the copy ear both report)."""
    control, mic, _ = echo_control()
    parts = Parts(barge_in=True)
    detector = LocalDetector.start(control.stage, mic, parts.driver, parts.events)
    require_or_skip(detector is not None, "the local detector's speech model is unavailable")
    evidence, erle = callbacks(control, mic)
    assert any(e[3] is not None for e in evidence)  # the linear ear
    assert any(e[5] is not None for e in evidence)  # the copy ear
    assert erle > 20.0
