"""Running an agent framework's driver script in its own virtualenv, against our server.

LiveKit Agents and Pipecat pin versions of packages that clash with ours (``livekit`` and
``protobuf``), so each lives in its own virtualenv that ``scripts/setup.sh --with-test-tools``
makes (``.venv-livekit``, ``.venv-pipecat``, from ``tests/foreign/*-requirements.txt``). A test
runs a driver script of this folder with that environment's python as a child process,
against the server the test started in its own event loop, and reads what the driver saw as
one JSON line on its stdout. The suite never imports the frameworks (the import contracts keep
them out of ``voicechat`` too).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def framework_python(venv: str) -> Path:
    """The python of one framework's virtualenv; skipped (failed under CI) when it is missing."""
    python = ROOT / venv / "bin" / "python"
    require_or_skip(python.exists(),
                    f"{venv} is missing: run `scripts/setup.sh --with-test-tools` to make it")
    return python


async def run_driver(venv: str, script: str, *args: str, timeout: float = 90.0) -> dict[str, Any]:
    """Run ``tests/foreign/SCRIPT ARGS`` with ``venv``'s python; its JSON report.

    The driver reports a failure of its own (a framework error, its timeout) in the JSON, and
    the test fails on it showing the report and the driver's stderr, which has the framework's
    log lines.
    """
    proc = await asyncio.create_subprocess_exec(
        str(framework_python(venv)), str(HERE / script), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        pytest.fail(f"{script} still running after {timeout} s\n{err.decode()[-4000:]}")
    lines = out.decode().strip().splitlines()
    if proc.returncode != 0 or not lines:
        pytest.fail(f"{script} exited {proc.returncode}\n{err.decode()[-4000:]}")
    report: dict[str, Any] = json.loads(lines[-1])
    if "failure" in report:
        pytest.fail(f"{script}: {report['failure']}\n{json.dumps(report, indent=1)}\n"
                    f"{err.decode()[-4000:]}")
    return report


_CLOSED = re.compile(
    r"closed after .*: responses=(?P<responses>\d+) commits=(?P<commits>\d+) "
    r"errors=(?P<errors>\d+)")


async def server_counts(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """What the local server logged of the one session of the test: the counters of its
    closing line, and its ``refused`` lines (one per client event it answered with an error,
    naming the event, the param and the message)."""
    from tests.helpers import until

    def closed() -> re.Match[str] | None:
        for record in caplog.records:
            if record.name.startswith("voicechat.server") and (
                    found := _CLOSED.search(record.getMessage())):
                return found
        return None

    found = await until(closed, "the server's log line for the closed session")
    refused = [r.getMessage() for r in caplog.records
               if r.name.startswith("voicechat.server") and " refused " in r.getMessage()]
    return {**{k: int(v) for k, v in found.groupdict().items()}, "refused": refused}


def watch_server_log(caplog: pytest.LogCaptureFixture) -> None:
    """Capture the server's session lines (INFO), which :func:`server_counts` reads."""
    caplog.set_level(logging.INFO, logger="voicechat.server")


def after(timeline: list[dict[str, Any]], first: dict[str, Any], then: dict[str, Any]) -> bool:
    """Whether an entry matching ``then`` comes after the first entry matching ``first``."""
    def matches(entry: dict[str, Any], pattern: dict[str, Any]) -> bool:
        return all(entry.get(k) == v for k, v in pattern.items())

    starts = [i for i, e in enumerate(timeline) if matches(e, first)]
    return bool(starts) and any(matches(e, then) for e in timeline[starts[0] + 1:])
