"""Stopping a session's tasks, for both engines (Realtime and GPT-Live).

A session closes from outside (the socket went away) or from one of its own tasks (a timer
that expired it, a reply that ended it): every task is cancelled first, so none runs on while
another is awaited, then each is awaited with its ending swallowed — except the task doing the
closing, which would otherwise wait for itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any


async def stop_tasks(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait for them, all but the current one (see the module)."""
    current = asyncio.current_task()
    for task in tasks:
        if task is not current:
            task.cancel()
    for task in tasks:
        if task is not current:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
