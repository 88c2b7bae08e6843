"""A stand-in for the ``sounddevice`` module: one input and one output device with set formats.

Devices that refuse 48 kHz or mono exist and are hard to come by on a test machine (PulseAudio
takes anything), so the device-format cases run against this: ``check_*_settings`` refuse what
the device does not take, exactly as PortAudio would, and the streams call their callbacks from
a thread in real time, like PortAudio. The mic hears the speaker: each output block comes back
into the input ``echo_blocks`` 20 ms blocks later at ``echo_gain`` (when both run at the same rate),
a room in a few lines.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import numpy as np


class PortAudioError(Exception):
    pass


class FakeSoundDevice:
    """Use as ``monkeypatch.setattr(devices, "load_sounddevice", lambda: fake)``."""

    def __init__(
        self, *, in_rates: tuple[int, ...] = (48000,), out_rates: tuple[int, ...] = (48000,),
        in_channels: tuple[int, ...] = (1,), out_channels: tuple[int, ...] = (1,),
        echo_gain: float = 0.0, echo_blocks: int = 3,
    ) -> None:
        self.in_rates, self.out_rates = in_rates, out_rates
        self.in_channels, self.out_channels = in_channels, out_channels
        self.echo_gain = echo_gain
        # the room as a stream of samples (the speaker's and the mic's blocks differ in size:
        # 10 ms out, 20 ms in), primed with ``echo_blocks`` 20 ms blocks of silence: the delay
        self._room = np.zeros(echo_blocks * 960, dtype=np.int16)
        self._room_lock = threading.Lock()
        self.default = SimpleNamespace(device=(0, 1))
        self.opened: list[dict[str, Any]] = []
        self.played: list[np.ndarray[Any, Any]] = []
        self.underflows_to_report = 0  # the speaker's next callbacks say output_underflow

    # --- the query API the client uses -------------------------------------------------------

    def query_hostapis(self) -> list[dict[str, Any]]:
        return [{"name": "Fake"}]

    def query_devices(self, device: int | None = None, kind: str | None = None) -> Any:
        devices = [
            {"index": 0, "name": "Fake Mic", "hostapi": 0, "max_input_channels": 2,
             "max_output_channels": 0, "default_samplerate": float(self.in_rates[0])},
            {"index": 1, "name": "Fake Speaker", "hostapi": 0, "max_input_channels": 0,
             "max_output_channels": 2, "default_samplerate": float(self.out_rates[0])},
        ]
        if kind is not None:
            return devices[0 if kind == "input" else 1]
        return devices

    def _check(self, rates: tuple[int, ...], layouts: tuple[int, ...], samplerate: Any,
               channels: int) -> None:
        if samplerate is not None and int(samplerate) not in rates:
            raise PortAudioError(f"Invalid sample rate [PaErrorCode -9997]: {samplerate}")
        if channels not in layouts:
            raise PortAudioError(f"Invalid number of channels [PaErrorCode -9998]: {channels}")

    def check_input_settings(self, device: Any = None, samplerate: Any = None,
                             channels: int = 1, dtype: str = "int16") -> None:
        self._check(self.in_rates, self.in_channels, samplerate, channels)

    def check_output_settings(self, device: Any = None, samplerate: Any = None,
                              channels: int = 1, dtype: str = "int16") -> None:
        self._check(self.out_rates, self.out_channels, samplerate, channels)

    # --- streams -------------------------------------------------------------------------------

    def InputStream(self, **kw: Any) -> _Stream:
        self._check(self.in_rates, self.in_channels, kw["samplerate"], kw["channels"])
        self.opened.append({"kind": "input", **kw})
        return _Stream(self, kw, output=False)

    def OutputStream(self, **kw: Any) -> _Stream:
        self._check(self.out_rates, self.out_channels, kw["samplerate"], kw["channels"])
        self.opened.append({"kind": "output", **kw})
        return _Stream(self, kw, output=True)

    def speaker_block(self, block: np.ndarray[Any, Any], rate: int) -> None:
        mono = block.mean(axis=1).astype(np.int16)
        self.played.append(mono)
        if self.echo_gain and rate in self.in_rates:
            with self._room_lock:
                self._room = np.concatenate([self._room, (mono * self.echo_gain).astype(np.int16)])

    def mic_block(self, frames: int) -> np.ndarray[Any, Any]:
        out = np.zeros(frames, dtype=np.int16)
        with self._room_lock:
            echo, self._room = self._room[:frames], self._room[frames:]
        out[: echo.size] = echo
        return out


class _Stream:
    def __init__(self, sd: FakeSoundDevice, kw: dict[str, Any], *, output: bool) -> None:
        self._sd, self._kw, self._output = sd, kw, output
        self._running = False
        self._thread: threading.Thread | None = None
        # PortAudio reports the latency it settled on (seconds); the speaker reads it once open
        self.latency = 2 * int(kw["blocksize"]) / int(kw["samplerate"])

    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        rate, frames = int(self._kw["samplerate"]), int(self._kw["blocksize"])
        channels, callback = int(self._kw["channels"]), self._kw["callback"]
        period = frames / rate
        status = SimpleNamespace(output_underflow=False, input_overflow=False)
        next_at = time.monotonic()
        while self._running:
            if self._output:
                status.output_underflow = self._sd.underflows_to_report > 0
                if status.output_underflow:
                    self._sd.underflows_to_report -= 1
                block = np.zeros((frames, channels), dtype=np.int16)
                callback(block, frames, None, status)
                self._sd.speaker_block(block, rate)
            else:
                mono = self._sd.mic_block(frames)
                callback(np.repeat(mono[:, None], channels, axis=1), frames, None, status)
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)

    def close(self) -> None:
        self._running = False
