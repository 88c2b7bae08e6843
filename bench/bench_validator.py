"""How much validation costs per event, so the client and server can afford it on every send.

Prints microseconds per call for a typical GA and beta ``session.update``, an
``input_audio_buffer.append`` carrying 100 ms of 24 kHz pcm16 (the most frequent event by far), a
``response.create``, an invalid update (the error-picking path), and the one-time schema build.

Run: ``.venv/bin/python bench/bench_validator.py [--repeat N]``. Figures depend on the machine;
nothing asserts them.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from collections.abc import Callable
from typing import Any

from voicechat.protocol import validation
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.validation import validate_client_event

GA_UPDATE: dict[str, Any] = {
    "type": "session.update",
    "session": {
        "type": "realtime",
        "instructions": "You are a helpful assistant.",
        "output_modalities": ["audio"],
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": "gpt-4o-mini-transcribe"},
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                    "create_response": True,
                    "interrupt_response": True,
                },
                "noise_reduction": None,
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
        },
    },
}
BETA_UPDATE: dict[str, Any] = {
    "type": "session.update",
    "session": {
        "instructions": "You are a helpful assistant.",
        "modalities": ["text", "audio"],
        "voice": "alloy",
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "input_audio_transcription": {"model": "whisper-1"},
        "turn_detection": {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500},
        "temperature": 0.8,
    },
}
APPEND: dict[str, Any] = {
    "type": "input_audio_buffer.append",
    "audio": base64.b64encode(bytes(4800)).decode("ascii"),  # 100 ms, 24 kHz, s16le mono
}
RESPONSE_CREATE: dict[str, Any] = {
    "type": "response.create",
    "response": {
        "output_modalities": ["text"],
        "instructions": "Summarise.",
        "conversation": "none",
    },
}
INVALID: dict[str, Any] = {
    "type": "session.update",
    "session": {
        "type": "realtime",
        "audio": {"input": {"turn_detection": {"type": "server_vad", "max_speech_ms": 100}}},
    },
}


def per_call_us(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and best of 5 rounds, in µs per call."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        rounds.append((time.perf_counter() - start) / repeat * 1e6)
    return statistics.median(rounds), min(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description="validator cost per event")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()

    for dialect, first in ((Dialect.GA, GA_UPDATE), (Dialect.BETA, BETA_UPDATE)):
        validation._schemas.cache_clear()
        start = time.perf_counter()
        validate_client_event(first, dialect)
        elapsed_ms = (time.perf_counter() - start) * 1e3
        print(f"first session.update incl. schema load ({dialect.value}): {elapsed_ms:.1f} ms")

    cases: list[tuple[str, dict[str, Any], Dialect]] = [
        ("session.update (GA)", GA_UPDATE, Dialect.GA),
        ("session.update (beta)", BETA_UPDATE, Dialect.BETA),
        ("input_audio_buffer.append 100 ms (GA)", APPEND, Dialect.GA),
        ("input_audio_buffer.append 100 ms (beta)", APPEND, Dialect.BETA),
        ("response.create (GA)", RESPONSE_CREATE, Dialect.GA),
        ("invalid session.update (GA, error path)", INVALID, Dialect.GA),
    ]
    for label, event, dialect in cases:
        expect_ok = event is not INVALID
        assert (validate_client_event(event, dialect) is None) is expect_ok, label

        def call(e: dict[str, Any] = event, d: Dialect = dialect) -> object:
            return validate_client_event(e, d)

        median, best = per_call_us(call, args.repeat)
        print(f"{label:<44} median {median:8.1f} µs   best {best:8.1f} µs")


if __name__ == "__main__":
    main()
