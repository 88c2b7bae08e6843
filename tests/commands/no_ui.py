"""Run the installed ``voicechat --no-ui`` against a server already listening, as a user would:
piped lines typed, ``--record`` log read back. Shared by the end-to-end tool tests."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from tests.helpers import read_records

VOICECHAT = Path(sys.executable).parent / "voicechat"


async def run_no_ui(
    tmp_path: Path, base_url: str, transport: str, text: str, *extra: str
) -> tuple[int, str, str, list[dict[str, Any]]]:
    """The client against ``base_url`` with ``text`` on stdin (no terminal); returns its exit
    code, stdout, stderr and the records of its event log. ``tmp_path/cfg.toml`` is its config
    (written empty unless the test wrote one)."""
    cfg = tmp_path / "cfg.toml"
    if not cfg.exists():
        cfg.write_text("", encoding="utf-8")
    log = tmp_path / "log.jsonl"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE", "VOICECHAT"))
    }
    env["XDG_STATE_HOME"] = str(tmp_path / "state")  # MCP servers' stderr logs land here
    proc = await asyncio.create_subprocess_exec(
        str(VOICECHAT),
        "--no-ui",
        "--server",
        base_url,
        "--transport",
        transport,
        "--mic",
        "none",
        "--speaker",
        "none",
        "--record",
        str(log),
        "--config",
        str(cfg),
        *extra,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(text.encode()), 150)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(), err.decode(), read_records(log)


def kinds(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(dir, type)`` of each record, in order."""
    return [(r["dir"], str(r["event"].get("type"))) for r in records]
