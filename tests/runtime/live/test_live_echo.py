"""Echo cancellation for GPT-Live: on by default with sound devices (the mic is never muted for
playback, so it is what keeps the model from hearing itself); off, a warning asks for
headphones. Sound devices are the fake PortAudio of tests/runtime/fake_sounddevice.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import until
from tests.runtime.fake_sounddevice import FakeSoundDevice
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.live import LiveRuntime
from voicechat.server.app import LocalServer


async def started(server: LocalServer, monkeypatch: pytest.MonkeyPatch,
                  **settings: Any) -> tuple[LiveRuntime, list[LogRecord]]:
    from voicechat.audio import devices

    monkeypatch.setattr(devices, "load_sounddevice", lambda: FakeSoundDevice(echo_gain=0.5))
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
