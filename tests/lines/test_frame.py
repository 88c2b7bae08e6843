"""The frame ends a piped run when the input is over and answered, and only once the family is
idle: the answer's response done and its audio played, not at its ``response.done``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tests.commands.test_headless import answer, server
from tests.helpers import until
from voicechat.config import Settings
from voicechat.lines.frame import Ending
from voicechat.lines.realtime import RunEnd
from voicechat.runtime import Runtime

THE_END = Ending("info", "end of the input and of the last answer")


@dataclass
class Lines:
    done: bool = False
    exit_code: int = 0
    ended_empty: bool = False
    interactive: bool = False
    enough: Callable[[], bool] = lambda: False

    def start(self) -> None: ...

    def stop(self) -> None: ...


async def test_the_input_ends_the_run_once_the_answer_has_played() -> None:
    runtime = Runtime(Settings(server="local", mic="none", speaker="none"))
    end = RunEnd(runtime, None)
    end.input = lines = Lines()
    answer(runtime, "resp_1", done=False)
    lines.done = True
    assert end.ending_now() is None  # still answering
    server(runtime, {"type": "output_audio_buffer.started", "response_id": "resp_1"})
    server(runtime, {"type": "response.done",
                     "response": {"id": "resp_1", "status": "completed", "output": []}})
    assert end.ending_now() is None  # answered, but the server still plays it
    server(runtime, {"type": "output_audio_buffer.stopped", "response_id": "resp_1"})
    assert end.ending_now() is None  # the mic waits for the echo to die away (barge-in off)
    assert await until(end.ending_now, "the mic reopened after playback") == THE_END


async def test_the_answer_queued_at_our_speaker_holds_the_end() -> None:
    runtime = Runtime(Settings(server="local", mic="none", speaker="none"))
    end = RunEnd(runtime, None)
    end.input = Lines(done=True)
    answer(runtime, "resp_1")
    runtime.playback.push(np.full(4800, 1000, dtype=np.int16), "item_1")  # 100 ms unplayed
    assert end.ending_now() is None
    runtime.playback.flush()
    assert end.ending_now() == THE_END


async def test_without_the_input_done_nothing_ends() -> None:
    runtime = Runtime(Settings(server="local", mic="none", speaker="none"))
    end = RunEnd(runtime, None)
    end.input = Lines(done=False)
    answer(runtime, "resp_1")
    assert end.ending_now() is None
