"""The runner carries out the core's tool actions on the loop and never lets a fault escape."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.helpers import until
from voicechat.core import AskApproval, CancelTool, RunTool, ToolApproval, ToolFinished
from voicechat.runtime.tools.runner import ToolRunner
from voicechat.runtime.tools.sources import CommandToolConfig, ToolConfig
from voicechat.runtime.tools.toolbox import ToolBox


class BrokenBox(ToolBox):
    """A tool box whose own code fails (stands for a bug of ours or a library's)."""

    async def run(self, name: str, arguments: dict[str, Any], timeout: float) -> tuple[str, bool]:
        raise RuntimeError("boom")


def runner(box: ToolBox | None) -> tuple[ToolRunner, list[Any], list[tuple[str, str]]]:
    fed: list[Any] = []
    notices: list[tuple[str, str]] = []
    return (
        ToolRunner(box, fed.append, lambda lvl, msg: notices.append((lvl, msg)), time.monotonic),
        fed,
        notices,
    )


async def test_an_exception_becomes_an_output_that_says_so(tmp_path: Path) -> None:
    run, fed, _ = runner(BrokenBox(ToolConfig(), tmp_path))
    run.run(RunTool("call_1", "x", {}))
    await until(lambda: fed, "the result")
    [done] = fed
    assert isinstance(done, ToolFinished) and not done.ok
    assert done.output == "error: tool x failed: RuntimeError: boom"


async def test_cancel_stops_a_running_command_and_feeds_nothing(tmp_path: Path) -> None:
    config = ToolConfig(
        approval="auto", commands=[CommandToolConfig("slow", "test", ("sleep", "30"), timeout=60)]
    )
    box = ToolBox(config, tmp_path)
    await box.start()
    run, fed, _ = runner(box)
    run.run(RunTool("call_1", "slow", {}))
    await asyncio.sleep(0)  # let the task start the process
    run.cancel(CancelTool("call_1", "timeout"))
    await run.close()
    assert fed == []


async def test_no_prompt_denies_with_a_notice_naming_the_flag() -> None:
    run, fed, notices = runner(None)
    run.ask(AskApproval("call_1", "rm", "{}", "command"))
    assert fed == []  # not fed while the driver is still carrying out actions
    await until(lambda: fed, "the denial")
    assert fed == [ToolApproval("call_1", "deny")]
    assert "--tool-approval auto" in notices[0][1]
