"""Plain-text output of ``--no-ui`` and ``voicechat devices``: whole notices, the right advice."""

from __future__ import annotations

import pytest

from voicechat.commands import devices
from voicechat.eventlog.record import LogRecord
from voicechat.lines.printer import event_line


def test_notices_are_printed_whole() -> None:
    message = ("no speaker: no audio output device found: PortAudio sees no sound card or sound "
               "server here. Plug one in or start PulseAudio/PipeWire, or run without one: "
               "--mic FILE.wav and --speaker FILE.wav|none. Audio is discarded.")
    record = LogRecord(t=1.5, ts="", dir="local",
                       event={"type": "local.notice", "level": "error", "message": message})
    line = event_line(record)
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
    assert "start PulseAudio/PipeWire" in err
    assert "install PortAudio" not in err
    # it is the command that lists devices: it does not send the user to itself (issue 55)
    assert "voicechat devices" not in err


def test_no_ui_lines_show_a_tool_turn() -> None:
    """A run's lines (one summarizer a run): the call with its arguments and call id, no
    argument deltas, the output with its tool and how long the app took."""
    from tests.eventlog.tool_turns import CALL_ID, function_turn, records
    from voicechat.eventlog.summarizer import Summarizer

    summarizer = Summarizer()
    lines = [event_line(r, summarizer) for r in records(function_turn(beta=True))]
    shown = [line for line in lines if line is not None]
    assert len(shown) == len(lines) - 4  # the four argument deltas
    assert ('   10.30 <- response.function_call_arguments.done call get_weather '
            f'{{"city":"Paris"}} ({CALL_ID})') in shown
    assert "   10.40 <- response.done resp_CALL1 completed · calls get_weather completed · in " \
        "310 (text 0, audio 0, cached 0) · out 18 (text 0, audio 0)" in shown
    assert f'   11.55 -> conversation.item.create output for {CALL_ID}: "{{\\"temp_c\\":21,' \
        '\\"sky\\":\\"sunny\\"}" (27 bytes) · get_weather, 1.25 s after the call' in shown
    # without the run's memory a line still reads, it only cannot say the tool or the time
    alone = event_line(records(function_turn())[-4])
    assert alone is not None and alone.endswith("(27 bytes) item_O1")
