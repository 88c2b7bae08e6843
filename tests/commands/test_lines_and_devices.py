"""Plain-text output of ``--no-ui`` and ``voicechat devices``: whole notices, the right advice."""

from __future__ import annotations

import pytest

from voicechat.commands import devices, headless
from voicechat.eventlog.record import LogRecord


def test_notices_are_printed_whole() -> None:
    message = ("no speaker: no audio output device found: PortAudio sees no sound card or sound "
               "server here. Plug one in or start PulseAudio/PipeWire, or run without one: "
               "--mic FILE.wav and --speaker FILE.wav|none. Audio is discarded.")
    record = LogRecord(t=1.5, ts="", dir="local",
                       event={"type": "local.notice", "level": "error", "message": message})
    line = headless.format_record(record)
    assert line is not None
    assert line.endswith(f"notice error: {message}")


def test_devices_without_any_device_says_so_not_install_portaudio(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import voicechat.audio.devices as audio_devices

    monkeypatch.setattr(audio_devices, "list_devices", lambda: [])
    assert devices.run() == 1
    err = capsys.readouterr().err
    assert "no audio devices found" in err
    assert audio_devices.NO_DEVICE_FIX in err
    assert "install PortAudio" not in err
