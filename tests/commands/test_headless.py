"""When a ``--no-ui`` run is finished: the headless command decides from the view and the stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from voicechat.config import Settings
from voicechat.lines.frame import Ending
from voicechat.lines.realtime import RunEnd
from voicechat.runtime import Runtime


def server(runtime: Runtime, event: dict[str, Any]) -> None:
    frame, arrived = runtime.driver.decode(json.dumps(event))
    runtime.driver.receive(frame, at=arrived)


def answer(runtime: Runtime, rid: str, *, done: bool = True) -> None:
    server(runtime, {"type": "response.created",
                     "response": {"id": rid, "status": "in_progress", "output": []}})
    if done:
        server(runtime, {"type": "response.done",
                         "response": {"id": rid, "status": "completed", "output": []}})


async def test_turns_end_the_run_once_the_last_answer_is_over() -> None:
    runtime = Runtime(Settings(server="local", mic="none", speaker="none", turns=2))
    end = RunEnd(runtime, 2)
    answer(runtime, "resp_1")
    assert end.check() is None
    answer(runtime, "resp_2", done=False)
    assert end.check() is None  # two asked, one completed
    server(runtime, {"type": "response.done",
                     "response": {"id": "resp_2", "status": "completed", "output": []}})
    assert end.check() == Ending("info", "2 response(s) completed")
    server(runtime, {"type": "output_audio_buffer.started", "response_id": "resp_2"})
    assert end.check() is None  # the server still plays the answer
    server(runtime, {"type": "output_audio_buffer.stopped", "response_id": "resp_2"})
    assert end.check() is None  # the mic waits for the echo to die away (barge-in off)
    for _ in range(200):
        if end.check() is not None:
            break
        await asyncio.sleep(0.01)
    assert runtime.view.mic_label == "live"
    assert end.check() == Ending("info", "2 response(s) completed")


async def test_watch_says_why_and_finishes_the_runtime() -> None:
    runtime = Runtime(Settings(server="local", mic="none", speaker="none"))
    notices: list[str] = []
    runtime.subscribe(lambda r: notices.append(r.event.get("message", "")))
    end = RunEnd(runtime, 1)
    answer(runtime, "resp_1")
    await end.watch()
    assert runtime.finished.is_set() and end.exit_code == 0
    assert notices[-1] == "1 response(s) completed"


async def test_without_turns_or_a_mic_file_the_run_goes_on() -> None:
    runtime = Runtime(Settings(server="local", mic="none", speaker="none"))
    end = RunEnd(runtime, None)
    answer(runtime, "resp_1")
    assert end.check() is None
