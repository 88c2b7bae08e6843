"""The settings screen's fields as flags: ``voicechat --no-ui`` asks the real local server (in
this process) for them in its first ``session.update``, and the server applies them."""

from __future__ import annotations

from pathlib import Path

from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server


async def test_session_settings_flags_reach_the_server(tmp_path: Path) -> None:
    async with local_server() as srv:
        code, _out, err, records = await run_no_ui(
            tmp_path, srv.base_url, "websocket", "hello\n", "--turns", "1", "--voice", "marin",
            "--speed", "1.2", "--turn-detection", "semantic_vad", "--eagerness", "low",
            "--noise-reduction", "far_field", "--transcription-language", "en")
    assert code == 0, err[-3000:]
    applied = next(r["event"]["session"] for r in records
                   if r["dir"] == "in" and r["event"].get("type") == "session.updated")
    audio = applied["audio"]
    assert audio["output"]["voice"] == "marin" and audio["output"]["speed"] == 1.2
    assert audio["input"]["turn_detection"]["type"] == "semantic_vad"
    assert audio["input"]["turn_detection"]["eagerness"] == "low"
    assert audio["input"]["noise_reduction"] == {"type": "far_field"}
    assert audio["input"]["transcription"]["language"] == "en"
