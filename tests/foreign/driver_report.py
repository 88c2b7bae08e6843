"""What both framework drivers end with: run the scenario within its time, report it as JSON.

Imported by ``livekit_agent.py`` and ``pipecat_agent.py``, which run as scripts with their own
framework's python (this folder is then first on ``sys.path``); stdlib only, so it loads in
either virtualenv. A failure is a field of the report, not a traceback: the test shows it with
everything that happened before it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

Scenario = Callable[[argparse.Namespace, dict[str, Any]], Awaitable[None]]


async def run_and_report(scenario: Scenario, args: argparse.Namespace) -> None:
    """Run ``scenario`` for at most ``args.timeout`` seconds; print its report as one line."""
    report: dict[str, Any] = {"scenario": args.scenario}
    try:
        await asyncio.wait_for(scenario(args, report), args.timeout)
    except TimeoutError:
        report["failure"] = f"timed out after {args.timeout} s"
    except Exception as exc:  # the test shows it with what happened before it
        report["failure"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report, default=str), flush=True)
