"""``voicechat validate`` end to end through the real Typer app: output, hints and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from voicechat.cli import app

runner = CliRunner()


def invoke(path: Path, *args: str) -> Any:
    return runner.invoke(app, ["validate", str(path), *args])


def write(tmp_path: Path, payload: Any, name: str = "payload.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_valid_event_prints_ok(tmp_path: Path) -> None:
    path = write(tmp_path, {"type": "session.update", "session": {"type": "realtime"}})
    result = invoke(path)
    assert result.exit_code == 0
    assert result.stdout.strip() == "ok"


def test_invalid_beta_event_prints_error_code_and_param(tmp_path: Path) -> None:
    event = {"type": "session.update", "session": {"turn_detection": {"max_speech_ms": 100}}}
    result = invoke(write(tmp_path, event), "--dialect", "beta")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "error: Unknown parameter: 'session.turn_detection.max_speech_ms'."
    assert lines[1] == "  code: unknown_parameter  param: session.turn_detection.max_speech_ms"


def test_beta_payload_checked_as_ga_hints_at_dialect_switch(tmp_path: Path) -> None:
    event = {"type": "session.update", "session": {"voice": "alloy", "modalities": ["text"]}}
    result = invoke(write(tmp_path, event))
    assert result.exit_code == 1
    assert "error: Missing required parameter: 'session.type'." in result.stdout
    assert (
        "hint: this event is valid in the beta dialect; if your endpoint speaks beta, "
        "use --dialect beta" in result.stdout
    )
    # and the same file passes where the hint points
    assert invoke(write(tmp_path, event), "--dialect", "beta").exit_code == 0


def test_ga_payload_checked_as_beta_hints_at_ga(tmp_path: Path) -> None:
    event = {
        "type": "session.update",
        "session": {"type": "realtime", "output_modalities": ["text"]},
    }
    result = invoke(write(tmp_path, event), "--dialect", "beta")
    assert result.exit_code == 1
    assert "error: Unknown parameter: 'session.type'." in result.stdout
    assert "use --dialect ga" in result.stdout
    assert "beta sessions have no 'type'" in result.stdout


def test_rename_hint_names_the_ga_path(tmp_path: Path) -> None:
    session = {"type": "realtime", "output_audio_format": "pcm16"}
    result = invoke(write(tmp_path, session))
    assert result.exit_code == 1
    assert "error: Unknown parameter: 'session.output_audio_format'." in result.stdout
    assert (
        "hint: 'output_audio_format' is the beta name; in GA it is 'session.audio.output.format'"
        in result.stdout
    )


def test_rename_hint_names_the_beta_keys(tmp_path: Path) -> None:
    session = {"audio": {"output": {"voice": "alloy"}}, "instructions": 5}
    result = invoke(write(tmp_path, session), "--dialect", "beta")
    assert result.exit_code == 1
    assert "error: Unknown parameter: 'session.audio'." in result.stdout
    assert "'voice' (GA audio.output.voice)" in result.stdout
    assert "'output_audio_format' (GA audio.output.format)" in result.stdout


def test_spelling_hint(tmp_path: Path) -> None:
    session = {"turn_detection": {"type": "server_vad", "silence_duraton_ms": 300}}
    result = invoke(write(tmp_path, session), "--dialect", "beta")
    assert result.exit_code == 1
    assert "hint: did you mean 'silence_duration_ms'?" in result.stdout


def test_enum_spelling_hint(tmp_path: Path) -> None:
    session = {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "server-vad"}}}}
    result = invoke(write(tmp_path, session))
    assert result.exit_code == 1
    assert "hint: did you mean 'server_vad'?" in result.stdout


def test_bare_ga_session_without_type(tmp_path: Path) -> None:
    result = invoke(write(tmp_path, {"output_modalities": ["text"], "instructions": "hi"}))
    assert result.exit_code == 1
    out = result.stdout
    assert out.startswith("error: Missing required parameter: 'session.type'.\n")
    assert 'GA sessions need "type": "realtime"' in out
    assert 'with "type": "realtime" added, the rest of this session is valid GA' in out


def test_bare_ga_session_without_type_reports_next_problem(tmp_path: Path) -> None:
    result = invoke(write(tmp_path, {"output_modalities": ["text"], "voice": "alloy"}))
    assert result.exit_code == 1
    assert "the next problem is: Unknown parameter: 'session.voice'." in result.stdout


def test_read_only_field_hint(tmp_path: Path) -> None:
    result = invoke(write(tmp_path, {"type": "realtime", "id": "sess_1"}))
    assert result.exit_code == 1
    assert "hint: 'session.id' is read-only" in result.stdout


def test_bare_beta_transcription_session_is_ok(tmp_path: Path) -> None:
    session = {"input_audio_transcription": {"model": "whisper-1"}, "include": []}
    result = invoke(write(tmp_path, session), "--dialect", "beta")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip() == "ok"


def test_azure_flag(tmp_path: Path) -> None:
    path = write(tmp_path, {"type": "session.close"})
    assert invoke(path, "--azure").exit_code == 0
    assert invoke(path).exit_code == 1


def test_secrets_are_not_echoed(tmp_path: Path) -> None:
    event = {
        "type": "session.update",
        "session": {"type": "realtime", "tracing": "ek_abc123SECRET"},
    }
    result = invoke(write(tmp_path, event))
    assert result.exit_code == 1
    assert "ek_abc123SECRET" not in result.output
    assert "[redacted]" in result.stdout


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_a_key_used_as_a_field_name_is_not_echoed_in_param(tmp_path: Path, dialect: str) -> None:
    # a key pasted in as a key (not a value) comes back in "param:" as the server words it
    key = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"
    session = {"type": "realtime", key: 1} if dialect == "ga" else {key: 1}
    result = invoke(write(tmp_path, {"type": "session.update", "session": session}),
                    "--dialect", dialect)
    assert result.exit_code == 1
    assert "ABCDEFGHIJKLMNOP" not in result.output
    assert "param: session.[redacted]" in result.stdout


def test_terminal_escapes_in_a_payload_are_shown_not_obeyed(tmp_path: Path) -> None:
    hostile = "k\x1b]0;pwned\x07\x1b[2J"
    event = {"type": "session.update", "session": {"type": "realtime", hostile: 1}}
    result = invoke(write(tmp_path, event))
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "param: session.k\\x1b]0;pwned\\x07\\x1b[2J" in result.stdout


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_a_file_with_a_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    # PowerShell 5's "> event.json" writes UTF-16 with a mark
    path = tmp_path / "event.json"
    path.write_bytes(json.dumps({"type": "response.create"}).encode(encoding))
    result = invoke(path)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok"


def test_a_fifo_nothing_writes_to_is_an_error_not_a_hang(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from tests.helpers import without_a_writer
    from voicechat.commands import validate as validate_command
    from voicechat.eventlog import source

    monkeypatch.setattr(source, "PIPE_WAIT_S", 0.2)
    monkeypatch.setattr(validate_command, "PIPE_WAIT_S", 0.2)
    fifo = tmp_path / "event.fifo"
    os.mkfifo(fifo)
    result = without_a_writer(fifo, lambda: invoke(fifo), "validate waited for a writer of a FIFO")
    assert result.exit_code == 2
    assert "nothing came through it" in result.stderr and "save the JSON" in result.stderr


def test_a_file_larger_than_any_event_is_refused_unread(tmp_path: Path) -> None:
    # (what keeps /dev/zero from eating the memory: reading stops at the limit)
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(33 << 20)  # sparse: no disk used
    result = invoke(path)
    assert result.exit_code == 2
    assert "larger than 32 MB" in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "holds an array; expected a JSON object"),
        ('"text"', "holds a string; expected a JSON object"),
        ("", "not valid JSON"),
    ],
)
def test_unusable_files_exit_2_with_message_on_stderr(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = invoke(path)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert str(path) in result.stderr
    assert result.stdout == ""


def test_directory_is_unusable(tmp_path: Path) -> None:
    result = invoke(tmp_path)
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


# --- GPT-Live ----------------------------------------------------------------------------------


def test_live_start_is_recognised_and_valid(tmp_path: Path) -> None:
    event = {"type": "session.start", "session": {"model": "gpt-live-1"}}
    result = invoke(write(tmp_path, event))
    assert result.exit_code == 0
    assert result.stdout.strip() == "ok (GPT-Live)"


def test_live_unknown_field_gets_the_documented_error_and_a_hint(tmp_path: Path) -> None:
    event = {"type": "session.start", "session": {"model": "gpt-live-1", "temperature": 0.8}}
    result = invoke(write(tmp_path, event))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "error: Unknown parameter: 'session.temperature'."
    assert lines[1] == "  code: unknown_parameter  param: session.temperature"
    assert lines[2].startswith("hint: 'session.temperature' is a Realtime setting")


def test_live_bare_config_and_webrtc_create_body(tmp_path: Path) -> None:
    assert invoke(write(tmp_path, {"model": "gpt-live-1", "store": True})).exit_code == 0
    body = {"session": {"model": "gpt-live-1", "audio": {"format": {"type": "audio/pcm",
                                                                    "rate": 24000}}},
            "transport": {"type": "webrtc", "sdp": "v=0"}}
    result = invoke(write(tmp_path, body))
    assert result.exit_code == 1
    assert "param: session.audio.format" in result.stdout


def test_api_live_forces_the_live_validator(tmp_path: Path) -> None:
    # response.create exists in both APIs; only --api live checks it as GPT-Live
    path = write(tmp_path, {"type": "response.create", "response": {}})
    assert invoke(path).exit_code == 0
    result = invoke(path, "--api", "live")
    assert result.exit_code == 1
    assert "Unknown parameter: 'response'." in result.stdout


def test_live_append_over_the_limit(tmp_path: Path) -> None:
    event = {"type": "session.instructions.append", "content": "word " * 500,
             "delegation_id": None}
    result = invoke(write(tmp_path, event))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "error: Context append text must not exceed 500 tokens")


# --- Gemini Live ------------------------------------------------------------------------------

def test_a_gemini_message_is_recognised_and_checked(tmp_path: Path) -> None:
    setup = {"setup": {"model": "models/gemini-live", "generationConfig": {
        "responseModalities": ["AUDIO"]}}}
    result = invoke(write(tmp_path, setup))
    assert result.exit_code == 0 and result.output.startswith("ok (Gemini Live)")


def test_gemini_media_chunks_print_googles_close_and_the_fix(tmp_path: Path) -> None:
    legacy = {"realtime_input": {"media_chunks": [{"mime_type": "audio/pcm", "data": "AAAA"}]}}
    result = invoke(write(tmp_path, legacy))
    assert result.exit_code == 1
    assert "error: realtime_input.media_chunks is deprecated" in result.output
    assert "close: 1007 (invalid payload data)" in result.output
    assert "hint: " in result.output and "not mediaChunks" in result.output


def test_gemini_audio_at_another_rate_is_ok_with_a_note(tmp_path: Path) -> None:
    audio = {"realtimeInput": {"audio": {"data": "AAAAAA==", "mimeType": "audio/pcm;rate=24000"}}}
    result = invoke(write(tmp_path, audio), "--api", "gemini")
    assert result.exit_code == 0 and "note: audio declared at 24000 Hz" in result.output


def test_livekits_reply_request_is_ok_and_a_number_is_not(tmp_path: Path) -> None:
    """LiveKit Agents sends ``"instructions": null`` on every reply; the service takes it as
    "not set" (issue 56). A number there is still refused, in the service's words."""
    livekit = {"type": "response.create", "event_id": "response_create_1",
               "response": {"instructions": None,
                            "metadata": {"client_event_id": "response_create_1"}}}
    result = invoke(write(tmp_path, livekit))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip() == "ok"
    wrong = {"type": "response.create", "response": {"instructions": 5}}
    result = invoke(write(tmp_path, wrong))
    assert result.exit_code == 1
    assert "expected a string, but got an integer instead" in result.stdout
    assert "hint:" not in result.stdout or "null" not in result.stdout
