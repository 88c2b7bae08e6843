"""Start and stop a pytest process's fork server (see ``tests/zygote/__init__.py``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIM = Path(__file__).resolve().parent / "shim"
ENV = "TEST_FORK_SERVER"


class ForkServer:
    """One fork server, with ``PYTHONPATH`` and :data:`ENV` set in this process for every
    subprocess a test starts."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="voicechat-zygote-"))
        self.socket = self._dir / "fork.sock"
        path = os.environ.get("PYTHONPATH", "")
        if str(SHIM) not in path.split(os.pathsep):
            os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SHIM), path) if p)
        env = {k: v for k, v in os.environ.items() if k != ENV}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.zygote.server", str(self.socket)], cwd=ROOT, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=(self._dir / "stderr.txt").open("w"), text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()  # "ready", or nothing when it exits
        if line.strip() != "ready":
            self._proc.kill()
            self._proc.wait()
            err = (self._dir / "stderr.txt").read_text(errors="replace").strip()[-2000:]
            self.close()
            raise RuntimeError(f"the tests' fork server did not start: {err}")
        os.environ[ENV] = str(self.socket)

    def close(self) -> None:
        if os.environ.get(ENV) == str(self.socket):
            del os.environ[ENV]
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        shutil.rmtree(self._dir, ignore_errors=True)


def start() -> ForkServer | None:
    """A fork server for this pytest process, unless ``TEST_FORK_SERVER=0``, coverage
    measures the subprocesses, or it fails to start (then the commands run the ordinary way,
    and a warning says why)."""
    if os.environ.get(ENV) == "0":
        return None
    if any(k.startswith("COV_CORE_") or k == "COVERAGE_PROCESS_START" for k in os.environ):
        return None  # coverage measures each command from its interpreter's start
    try:
        return ForkServer()
    except (OSError, RuntimeError) as exc:
        warnings.warn(f"running every voicechat command in a fresh interpreter: {exc}",
                      stacklevel=1)
        return None
