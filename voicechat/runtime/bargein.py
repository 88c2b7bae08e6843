"""The local barge-in detector's plumbing: each cleaned mic frame measured and fed to the core.

Why here: the runtime alone holds both the mic frames (after echo cancellation) and the echo
canceller that can say, for the same 10 ms, how loud the speaker's reference was and how much
the canceller removed. :class:`LocalDetector` measures (speech probability with silero, levels,
the canceller's ERLE and residual correlation, and what the stage's linear-only canceller left
of the same frame: the second ear, which AEC3's suppressor cannot silence) and hands each frame
to the core as ``LocalTalk``; the core decides pause / confirm / resume
(``core/local_barge_in.py``) and the driver carries that out on the playback buffer. It runs
only while assistant audio plays, so a quiet conversation costs nothing; while it runs it costs
a resample and one 32 ms silero window per ~32 ms of audio (~0.4 % of a core), three times: on
the cleaned mic, on the raw mic (which counts only where the mic does not hear the
assistant: talk_frames.py), and on what the copy ear's fit leaves of the raw mic (which counts
only where the copy ear explains the echo alone well: an instant canceller on a simple echo
path, whose residual keeps a voice that AEC3's suppressor removes); the linear ear runs in the
echo stage all along (~0.05 ms per 10 ms frame), the copy ear while the speaker plays (~0.2 ms
per 10 ms frame). A quiet scene (a mic set low) is raised for the models on the cleaned mic
and on the copy ear's residual, which hear a quiet word less surely (``audio/scene_gain.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from voicechat.audio.echo.correlate import ANALYSIS_RATE
from voicechat.audio.playback import Int16Array
from voicechat.audio.scene_gain import SceneGain
from voicechat.audio.talk import (
    CopyEarProbe,
    SpeechModelUnavailable,
    SpeechProbe,
    dbfs,
    frame_power,
)
from voicechat.core import LocalTalk, TalkFrame
from voicechat.runtime.bargein_trace import FrameTrace
from voicechat.runtime.driver import Driver
from voicechat.runtime.fanout import EventFanout

FRAME_MS = 20.0
#: the leak judges wait this long (1 s) after the detector last held the user talking: the
#: residual judge correlates the last second of mic audio, which still holds their voice
NEAR_TALK_HOLD_FRAMES = 50
#: said once at start: what the client does with your speech over the assistant, and the turn
#: detection it chose for it (the decision is in core/policy.py)
DETECTOR_NOTICE = (
    "barge-in is decided locally: the speaker pauses as soon as you talk over the assistant "
    "and resumes if it was not you; turns end with semantic_vad (at the end of your sentence, "
    "not at its first pause), so a sentence you cut in with gets one answer"
)


class LocalDetector:
    """Feeds the core's local barge-in detector from the cleaned mic (see the module doc)."""

    def __init__(self, stage: Any, mic: Any, driver: Driver, probe: SpeechProbe,
                 raw_probe: SpeechProbe | None = None,
                 copy_probe: CopyEarProbe | None = None) -> None:
        self._stage = stage
        self._mic = mic  # its frame_tag: the canceller's powers for the frame being fed
        self._driver = driver
        self._probe = probe
        #: the speech model on the raw mic (the frames the stage keeps in its evidence)
        self._raw_probe = raw_probe
        #: the speech model on the copy ear's residual (``ANALYSIS_RATE``)
        self._copy_probe = copy_probe
        self._active = False
        self._talk_until = 0  # the leak judges wait until this frame
        self._resumes = 0  # the driver's resumes when the current pause began
        self._frames = 0
        self._trace = FrameTrace.from_env()
        #: a quiet scene raised for the speech models on the cleaned mic and the copy ear's
        #: residual (scene_gain.py); levels and the raw mic's model hear it as it is
        self._gain = SceneGain()

    @classmethod
    def start(cls, stage: Any, mic: Any, driver: Driver, events: EventFanout
              ) -> LocalDetector | None:
        """The detector for a running echo canceller, or ``None`` (with a notice) when the
        speech model cannot load: barge-in then follows the server's speech segments."""
        try:
            probe = SpeechProbe()
            raw_probe = SpeechProbe(int(getattr(stage, "rate", 48000)))
            copy_probe = CopyEarProbe(ANALYSIS_RATE)
        except SpeechModelUnavailable as exc:
            events.notice("warning", f"{exc}; barge-in follows the server's VAD instead")
            return None
        except Exception as exc:  # the model's runtime refusing to start
            events.notice("warning", f"the local barge-in detector could not start ({exc}); "
                          "barge-in follows the server's VAD instead")
            return None
        stage.ears = True  # the canceller's ears, off until a detector reads them (issue 77)
        driver.enable_local_detector()
        events.notice("info", DETECTOR_NOTICE)
        return cls(stage, mic, driver, probe, raw_probe, copy_probe)

    def feed(self, frame: Int16Array) -> None:
        """One cleaned 20 ms mic frame (48 kHz mono), in capture order."""
        stage = self._stage
        self._frames += 1
        if not self._driver.view.playing:
            if self._active:
                self._active = False
                for probe in (self._probe, self._raw_probe, self._copy_probe):
                    if probe is not None:
                        probe.reset()
                if self._trace is not None:
                    self._trace.mark("stopped")
            stage.near_talk = self._frames <= self._talk_until
            return
        self._active = True
        gain = self._gain
        prob = self._probe.push(gain.apply(frame))
        evidence = getattr(self._mic, "frame_tag", None)
        far_dbfs = in_dbfs = linear_dbfs = linear_in_dbfs = copy_db = raw_prob = None
        copy_prob = copy_gain_db = copy_heard = None
        if evidence:
            n = len(evidence)
            far_dbfs = dbfs(sum(e[0] for e in evidence) / n)
            in_dbfs = dbfs(sum(e[1] for e in evidence) / n)
            linear = [(e[3], e[4]) for e in evidence
                      if len(e) > 4 and e[3] is not None and e[4] is not None]
            if len(linear) == n:  # the linear ear heard every 10 ms of it
                linear_dbfs = dbfs(sum(r for r, _ in linear) / n)
                linear_in_dbfs = dbfs(sum(m for _, m in linear) / n)
            # the copy ear: the frame is a copy only as far as its least explained 10 ms
            copies = [e[5] for e in evidence if len(e) > 5 and e[5] is not None]
            copy_db = min(copies) if copies else None
            raw = [e[6] for e in evidence if len(e) > 6]
            if raw and self._raw_probe is not None:
                raw_prob = self._raw_probe.push(np.concatenate(raw))
            left = [e[7] for e in evidence if len(e) > 7 and e[7] is not None]
            if left and self._copy_probe is not None:
                copy_heard = gain.apply(np.concatenate(left))
                copy_prob = self._copy_probe.push(copy_heard)
            # the copy ear judges 20 ms every other 10 ms: its newest judgement is this frame's
            copy_gain_db = evidence[-1][8] if len(evidence[-1]) > 8 else None
            gain.follow(in_dbfs, far_dbfs, copy_db)
        talk = TalkFrame(ms=FRAME_MS, speech_prob=prob, out_dbfs=dbfs(frame_power(frame)),
                         in_dbfs=in_dbfs, far_dbfs=far_dbfs, erle_db=stage.erle_db,
                         echo_strength=stage.echo_strength, linear_dbfs=linear_dbfs,
                         linear_in_dbfs=linear_in_dbfs, copy_explained_db=copy_db,
                         raw_speech_prob=raw_prob, copy_speech_prob=copy_prob,
                         copy_gain_db=copy_gain_db)
        driver = self._driver
        if self._trace is not None:
            view = getattr(stage, "trace_view", None)
            self._trace.write(talk, paused=driver.view.interrupting,
                              stage=view() if callable(view) else None, copy_heard=copy_heard)
        driver.handle(LocalTalk(talk))
        if driver.view.interrupting:  # paused: the judges wait while the user may be talking
            if self._talk_until != self._frames - 1:
                self._resumes = driver.resumes  # a new pause
            self._talk_until = self._frames
        elif self._talk_until == self._frames - 1 and driver.resumes == self._resumes:
            # confirmed (the answer was cut off): the correlation window still holds the
            # user's voice for a second; resumed (it was echo after all): judge at once
            self._talk_until = self._frames + NEAR_TALK_HOLD_FRAMES
        stage.near_talk = self._frames <= self._talk_until
