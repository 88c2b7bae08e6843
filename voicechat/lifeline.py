"""Child processes that end with the process that started them, however it ends (issue 79).

Why: ``voicechat load`` starts a ``voicechat serve`` and Locust, and Locust starts its workers
and their engines. Killed outright (SIGKILL, the OOM killer, a CI runner that gives up), the
run could not stop them: Locust and the engines ran on to the end of ``--run-time``, and the
embedded server for ever (three ``--worker`` runs left three servers). Linux sends a child a
signal of our choice when its parent ends (``prctl(PR_SET_PDEATHSIG)``); set in each child,
the whole tree ends from the top. SIGTERM, so that each level ends its own children on the way.

Elsewhere (macOS, Windows) there is no such signal; :func:`end_with_parent` does nothing there
and a run killed outright leaves its children, as it did before.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, looked up once (``None`` off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


def end_with_parent(parent_pid: int, sig: int = signal.SIGTERM) -> None:
    """This process gets ``sig`` when its parent ends. ``parent_pid``: the parent it was
    started by; if that one has already gone (the parent died before this call), this
    process ends at once."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(128 + int(sig))


def ends_with_us() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen`: the child gets SIGTERM when this process
    ends. (``prctl`` is looked up here, before the fork, so the child only calls it.)"""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(128 + int(signal.SIGTERM))

    return preexec
