"""A killed server takes its speech-recognition workers with it.

`voicechat serve` runs pocketsphinx in a spawned worker process. A server killed outright
(SIGKILL, the OOM killer) cannot shut that pool down; before the worker watched its parent, each
such kill left a ~145 MB process behind for good (full test runs ended with several).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.runtime.server_process import ServerProcess

GONE_TIMEOUT_S = 30.0


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is ``pid`` (zombies count as gone)."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        state, ppid = fields[0], int(fields[1])
        if ppid == pid and state != "Z":
            found.add(int(entry))
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""  # ended meanwhile


def alive(pids: set[int]) -> set[int]:
    still: set[int] = set()
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2:].split()[0] != "Z":
            still.add(pid)
    return still


@pytest.mark.usefixtures("fresh_interpreter")  # the workers' parent must be the process killed
async def test_recogniser_worker_exits_when_the_server_is_killed(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server.log")
    await server.start()
    assert server.proc is not None
    server_pid = server.proc.pid
    loop = asyncio.get_running_loop()
    end = loop.time() + GONE_TIMEOUT_S
    workers: set[int] = set()
    while not workers:  # the pool starts with the server; its worker warms up the recogniser
        workers = {pid for pid in children_of(server_pid) if b"spawn_main" in cmdline(pid)}
        assert loop.time() < end, f"no recogniser worker under the server ({server_pid})"
        await asyncio.sleep(0.1)

    await server.kill()  # SIGKILL: no shutdown code runs in the server

    end = loop.time() + GONE_TIMEOUT_S
    while alive(workers):
        assert loop.time() < end, f"workers {sorted(alive(workers))} outlived the killed server"
        await asyncio.sleep(0.1)
