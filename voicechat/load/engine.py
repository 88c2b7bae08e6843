"""The conversation engine of one Locust process: plain asyncio, no gevent anywhere near it.

Started by :mod:`voicechat.load.locustfile` as ``python -m voicechat.load.engine`` with the run's
plan in ``VOICECHAT_LOAD_PLAN`` (JSON: the scenario's path, the connection flags, the config
file, the turn timeout). It reads the scenario and makes its settings and its spoken turns'
audio once (every conversation of this process shares them), then says ``{"ready": …}`` or
``{"fatal": …}`` on stdout and serves requests from stdin, one JSON object per line:

* ``{"id": N}``: run one conversation (as many at once as are asked for); answered by one
  ``{"id": N, "turn": I, "name": …, "ms": …, "failure": …, "kind": …}`` per turn that ran and
  one ``{"id": N, "done": true, "error": …, "kind": …}`` at its end;
* end of stdin: finish the conversations under way (they are cancelled) and exit.

Every line out carries ``"sent"`` (``time.monotonic()``, shared by the processes of a machine),
so the Locust side measures the hand-off. A failed turn's or conversation's line carries
``"log"``, the path of its conversation's event log, when that was kept
(:mod:`voicechat.load.failed_logs`: the first few of each failure). ``doctor: clean`` is not
checked under load (the doctor would read a whole log per conversation).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from voicechat.load import lag
from voicechat.load.failed_logs import ConversationLog, FailedLogs, failure_key, plan_of
from voicechat.load.failures import kind_of_error, kind_of_turn
from voicechat.load.lag import LAG_VARIABLE
from voicechat.server.gc_pauses import GcPauses

PLAN_VARIABLE = "VOICECHAT_LOAD_PLAN"


class Engine:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tasks: set[asyncio.Task[None]] = set()
        self.planned: Any = None
        self.options: Any = None
        self.names: list[str] = []
        self.failed_logs: FailedLogs | None = None

    def say(self, message: dict[str, Any]) -> None:
        message["sent"] = time.monotonic()
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    def prepare(self, plan: dict[str, Any]) -> list[str]:
        """The scenario planned once; the names its turns are reported under."""
        from voicechat.commands.test import base_settings, read_scenario
        from voicechat.commands.test import plan as plan_scenario
        from voicechat.voicetest.run import RunOptions

        scenario = read_scenario(Path(plan["scenario"]))
        config = Path(plan["config"]) if plan.get("config") else None
        base = base_settings(plan.get("flags", {}), config)
        planned = plan_scenario(scenario, base)
        import dataclasses

        self.planned = dataclasses.replace(
            planned, settings=dataclasses.replace(planned.settings, record=None))
        self.options = RunOptions(turn_timeout_s=float(plan.get("turn_timeout", 30.0)))
        self.failed_logs = plan_of(plan)
        _import_the_transport(self.planned.settings.transport)
        self.names = turn_names(scenario)  # once: every conversation's turns report under them
        return self.names

    async def converse(self, rid: int) -> None:
        from voicechat.voicetest.run import run_scenario

        planned = self.planned
        log = ConversationLog() if self.failed_logs is not None else None
        options = self.options if log is None else dataclasses.replace(self.options,
                                                                       on_record=log)
        try:
            result = await run_scenario(planned.scenario, planned.settings, planned.family,
                                        planned.audio, options)
        except Exception as exc:  # reported as this conversation's error
            self.say({"id": rid, "done": True, "error": f"{type(exc).__name__}: {exc}",
                      "kind": "error"})
            return
        names = self.names
        lines: list[dict[str, Any]] = []
        for index, turn in enumerate(result.turns):
            failed = [v for v in turn.verdicts if v.status == "failed"]
            # the failure Locust groups by names the checks only: with the measured value in
            # it ("115 ms, over the 5 ms allowed", the whole reply) 10 like failures made 7
            # rows; one example with the values goes beside it (issue 79)
            failure = turn.problem or ("; ".join(v.check for v in failed) if failed else None)
            example = None if turn.problem or not failed else \
                "; ".join(f"{v.check}: {v.reason}" for v in failed)
            lines.append({"id": rid, "turn": index, "name": names[index],
                          "ms": turn.seen.first_audio_ms, "failure": failure,
                          "example": example,
                          "kind": kind_of_turn(turn.problem) if turn.problem else
                          ("expectation" if failed else None)})
        lines.append({"id": rid, "done": True, "error": result.error,
                      "kind": kind_of_error(result.error) if result.error else None})
        if log is not None:
            self._keep_log(log, rid, lines)
        for line in lines:
            self.say(line)

    def _keep_log(self, log: ConversationLog, rid: int, lines: list[dict[str, Any]]) -> None:
        """The conversation's log, written when it failed and its failure has room; each of
        its failed lines then names it."""
        assert self.failed_logs is not None
        failed = [line for line in lines if line.get("failure") or line.get("error")]
        if not failed:
            return
        keys = [failure_key(line.get("name", "session"), line.get("failure") or "",
                            line["kind"]) for line in failed]
        first = failed[0]
        path = self.failed_logs.keep(log, keys, f"{rid}-{first.get('name', 'session')}")
        if path is not None:
            for line in failed:
                line["log"] = str(path)

    async def serve(self) -> None:
        lag_file = os.environ.get(LAG_VARIABLE)
        lags: list[float] = []
        watcher = asyncio.ensure_future(lag.watch(lags)) if lag_file else None
        pauses = GcPauses()
        if lag_file:
            pauses.install()
        try:
            await self._serve()
        finally:
            if watcher is not None and lag_file:
                watcher.cancel()
                pauses.uninstall()
                lag.write(Path(lag_file), lags, pauses.figures())

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            try:
                rid = int(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                continue
            task = loop.create_task(self.converse(rid))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def _import_the_transport(transport: str) -> None:
    """Import now what the first conversation would import on the loop every caller shares:
    for WebRTC, aiortc, PyAV and cryptography (249 modules), which held the engine's loop for
    ~200 ms as the run's first calls began."""
    if transport == "webrtc":
        import voicechat.rtc.loopback
        import voicechat.transport.webrtc
    else:
        import voicechat.transport.websocket  # noqa: F401


def turn_names(scenario: Any) -> list[str]:
    """How Locust names each turn's request: the scenario and the turn (its number and kind
    and the start of its words, or its recording's path from the scenario's folder), so its
    statistics read per turn."""
    folder = Path(scenario.file).resolve().parent
    return [f"{scenario.name} · {i + 1} {_label(turn, folder)}"
            for i, turn in enumerate(scenario.turns)]


def _label(turn: Any, folder: Path) -> str:
    """A recording under the scenario's folder is named from there, as the scenario names it:
    its absolute path (the turn's content, resolved) made names that differ from machine to
    machine, so two runs' statistics could not be compared (issue 79). Elsewhere it keeps its
    path."""
    if turn.kind != "audio":
        return str(turn.label)
    try:
        relative = Path(turn.content).resolve().relative_to(folder)
    except ValueError:
        return str(turn.label)
    return str(dataclasses.replace(turn, content=relative.as_posix()).label)


def main() -> None:
    engine = Engine(sys.stdout)
    try:
        plan = json.loads(os.environ[PLAN_VARIABLE])
        names = engine.prepare(plan)
    except Exception as exc:  # said to the Locust side, which stops the run
        engine.say({"fatal": str(exc)})
        return
    # What is alive now (the app's modules, the scenario's audio) lives as long as the process:
    # frozen, a full collection no longer walks it. Measured at 100 callers: 160 k tracked
    # objects → 95 k, the full collections' pauses (the loop's worst lag) 125–146 → 108–127 ms
    # (most of what is left is freeing finished conversations, whose objects form cycles).
    # The garbage preparing left is collected first, or freezing would keep it for good.
    gc.collect()
    gc.freeze()
    engine.say({"ready": True, "turns": names})
    asyncio.run(engine.serve())


if __name__ == "__main__":
    main()
