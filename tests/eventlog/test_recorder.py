"""The recorder: redaction, file mode, per-line flushing, and surviving a kill mid-session."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from voicechat.eventlog.reader import ReadStats, read_entries
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.recorder import Recorder
from voicechat.eventlog.redact import redact_event
from voicechat.protocol.secrets import redact_text

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
EPHEMERAL = "ek_68af2c1b9e5c8190a1b2c3d4e5f6"


def test_audio_payloads_become_byte_counts() -> None:
    pcm = bytes(4800)
    b64 = base64.b64encode(pcm).decode()
    append = redact_event({"type": "input_audio_buffer.append", "audio": b64})
    assert append == {"type": "input_audio_buffer.append", "audio": {"bytes": 4800}}
    for kind in ("response.output_audio.delta", "response.audio.delta"):
        delta = redact_event({"type": kind, "response_id": "resp_1", "delta": b64})
        assert delta["delta"] == {"bytes": 4800}
        assert delta["response_id"] == "resp_1"
    # transcript deltas are text, not audio: kept
    text = redact_event({"type": "response.output_audio_transcript.delta", "delta": "Hi"})
    assert text["delta"] == "Hi"
    # audio inside an item (conversation.item.retrieved) too, wherever it is nested
    item = redact_event({"type": "conversation.item.retrieved", "item": {
        "content": [{"type": "input_audio", "audio": b64, "transcript": "yo"}]}})
    assert item["item"]["content"][0] == {"type": "input_audio", "audio": {"bytes": 4800},
                                          "transcript": "yo"}


def test_redaction_is_idempotent_and_does_not_mutate() -> None:
    event = {"type": "response.output_audio.delta", "delta": base64.b64encode(b"abcdef").decode()}
    original = json.loads(json.dumps(event))
    once = redact_event(event)
    assert event == original
    assert redact_event(once) == once


def test_secrets_are_removed_everywhere() -> None:
    event = {
        "type": "local.notice",
        "level": "error",
        "message": f"401 from server with Authorization: Bearer {KEY} (key {KEY})",
        "headers": {"Authorization": f"Bearer {EPHEMERAL}", "api-key": "0123456789abcdef",
                    "OpenAI-Beta": "realtime=v1"},
        "protocols": ["realtime", f"openai-insecure-api-key.{KEY}"],
        "client_secret": {"value": EPHEMERAL, "expires_at": 1795255200},
        "nested": [{"note": f"token {EPHEMERAL} expired"}],
    }
    out = redact_event(event)
    text = json.dumps(out)
    assert KEY not in text and EPHEMERAL not in text and "0123456789abcdef" not in text
    assert out["headers"]["OpenAI-Beta"] == "realtime=v1"  # harmless values survive
    assert out["client_secret"]["expires_at"] == 1795255200
    assert out["protocols"][0] == "realtime"
    assert "401 from server" in out["message"]


def test_redact_text_leaves_ordinary_text_alone() -> None:
    for text in ("Hello there, how are you?", "resp_123 item_abc event_XYZ", "risk-free"):
        assert redact_text(text) == text


def test_file_is_0600_from_creation_even_if_it_existed(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    path.write_text("old\n")
    path.chmod(0o644)
    old_umask = os.umask(0)
    try:
        with Recorder.open(path) as rec:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            rec.record("out", {"type": "response.create"})
        fresh = tmp_path / "fresh.jsonl"
        with Recorder.open(fresh):
            assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)
    assert "old" not in path.read_text()  # truncated, not appended to


def test_each_record_is_on_disk_before_the_next(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with Recorder.open(path) as rec:
        rec.write(LogRecord(1.5, "2026-11-21T10:00:01.500Z", "in",
                            {"type": "session.created", "session": {}}))
        # readable by another reader while the recorder is still open
        lines = path.read_text().splitlines()
        assert len(lines) == 1
        assert json.loads(lines[0]) == {"t": 1.5, "ts": "2026-11-21T10:00:01.500Z", "dir": "in",
                                        "event": {"type": "session.created", "session": {}}}
        stamped = rec.record("local", {"type": "local.mic.muted", "reason": "playback"})
        assert stamped.t >= 0 and stamped.ts.endswith("Z")
        assert len(path.read_text().splitlines()) == 2
    records = list(read_entries(path))
    assert [r.event["type"] for r in records] == ["session.created", "local.mic.muted"]
    assert records[1].dir == "local"


def test_reader_skips_a_torn_last_line_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with Recorder.open(path) as rec:
        for n in range(3):
            rec.record("in", {"type": "rate_limits.updated", "n": n})
    with open(path, "a") as handle:
        handle.write('{"t":1.0,"ts":"2026-11-21T10:00:01.000Z","dir":"in","event":{"type":"resp')
    stats = ReadStats()
    records = list(read_entries(path, stats))
    assert len(records) == 3
    assert stats.skipped_lines == 1 and stats.torn_last_line


_WRITER = """
import sys
from voicechat.eventlog.recorder import Recorder
rec = Recorder.open(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    rec.record("in", {"type": "response.output_audio_transcript.delta", "delta": "x" * 300,
                      "n": n})
    n += 1
"""


def test_log_survives_a_kill_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "killed.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 20
        while path.stat().st_size < 200_000 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stats = ReadStats()
    records = list(read_entries(path, stats))
    assert len(records) > 100
    assert [r.event["n"] for r in records] == list(range(len(records)))  # no gaps, in order
    assert stats.skipped_lines <= 1  # at most the line being written when killed
