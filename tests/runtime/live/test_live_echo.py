"""Echo cancellation for GPT-Live: on by default with sound devices (the mic is never muted for
playback, so it is what keeps the model from hearing itself); off, a warning asks for
headphones. Sound devices are the fake PortAudio of tests/runtime/fake_sounddevice.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.helpers import until
from tests.runtime.fake_sounddevice import FakeSoundDevice
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.live import LiveRuntime
from voicechat.server.app import LocalServer


async def started(server: LocalServer, monkeypatch: pytest.MonkeyPatch,
                  device: FakeSoundDevice | None = None,
                  **settings: Any) -> tuple[LiveRuntime, list[LogRecord]]:
    from voicechat.audio import devices

    fake = device or FakeSoundDevice(echo_gain=0.5)
    monkeypatch.setattr(devices, "load_sounddevice", lambda: fake)
    runtime = LiveRuntime(Settings(server="local", api="live", model="gpt-live-1",
                                   transport="websocket", mic=None, speaker=None, **settings),
                          local_server=server)
    records: list[LogRecord] = []
    runtime.subscribe(records.append)
    await runtime.start()
    return runtime, records


def notices(records: list[LogRecord]) -> list[str]:
    return [str(r.event["message"]) for r in records if r.event["type"] == "local.notice"]


async def test_on_by_default_with_devices(server: LocalServer,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, records = await started(server, monkeypatch)
    try:
        await until(lambda: runtime.live_view.state == "active", "session.started")
        assert runtime.aec.state == "on"
        assert not any("headphones" in n for n in notices(records))
        sent = runtime.mic_frames_sent
        await until(lambda: runtime.mic_frames_sent > sent + 10, "the device mic streaming")
    finally:
        await runtime.stop()


async def test_off_on_devices_warns_to_use_headphones(server: LocalServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, records = await started(server, monkeypatch, aec=False)
    try:
        assert runtime.aec.state == "off"
        [warning] = [n for n in notices(records) if "headphones" in n]
        assert "model hears itself" in warning and "--no-aec" in warning
    finally:
        await runtime.stop()


async def test_a_speaker_underrun_is_held_and_logged_like_realtimes(
        server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The echo control hands the underrun hold to the driver with ``hold=``; GPT-Live's driver
    once took no such argument, so the first underrun raised inside the echo poll (a
    ``type: ignore`` hid the mismatch) and the hold was never logged as over."""
    fake = FakeSoundDevice(echo_gain=0.5)
    runtime, records = await started(server, monkeypatch, device=fake)
    try:
        await until(lambda: runtime.live_view.state == "active", "session.started")
        await asyncio.sleep(0.3)  # the first look at the count: what came before is history
        fake.underflows_to_report = 2

        def leaks(cause: str) -> list[dict[str, Any]]:
            return [r.event for r in records if r.event["type"] == "local.aec.leak"
                    and r.event.get("cause") == cause]

        await until(lambda: leaks("speaker underrun"), "the underrun hold")
        assert leaks("speaker underrun")[0]["leaking"] is True
        await until(lambda: leaks("underrun hold over"), "the hold's end", timeout=6.0)
        assert leaks("underrun hold over")[0]["leaking"] is False
        assert runtime.aec.state == "on"
    finally:
        await runtime.stop()
