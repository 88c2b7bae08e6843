"""The Locust side of ``voicechat load``: virtual callers on gevent, their conversations in the
process's engine (:mod:`voicechat.load.engine`, asyncio, unpatched), one pipe between them.

Loaded by Locust (``locust -f …/locustfile.py``; gevent's monkey-patching is Locust's and stays
in this process). Each process that runs users starts its engine on first use; each user asks
it for one conversation after another and reports each turn to Locust as a request named after
the scenario and the turn, its response time the turn's first audio in ms and a failed
expectation (or a timeout, a refusal, a dropped session, a rate limit) its failure, so
Locust's statistics, charts, CSV and HTML reports work unchanged.

The master (or the one local process) also checks that every worker runs the same voicechat
(a worker on another version is refused and the run stops with exit code 2), remembers the
workers that went missing, and at the end writes the run's summary (``VOICECHAT_LOAD_SUMMARY``,
JSON) for ``voicechat load`` to print.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess  # gevent's, patched by Locust: reading the pipe yields to other callers
import sys
import time
from typing import Any

import gevent
from gevent.event import AsyncResult
from gevent.lock import Semaphore
from gevent.queue import Queue
from locust import User, constant, events, task
from locust.runners import (
    STATE_INIT,
    STATE_RUNNING,
    STATE_SPAWNING,
    MasterRunner,
    WorkerRunner,
)

from voicechat.lifeline import end_with_parent, ends_with_us
from voicechat.load.engine import PLAN_VARIABLE
from voicechat.load.summary import summary_of

SUMMARY_VARIABLE = "VOICECHAT_LOAD_SUMMARY"
VERSION_MESSAGE = "voicechat_version"
ENGINE_START_S = 120.0


class TurnFailed(Exception):
    """A turn's failure as Locust counts it: the class is the kind, the text the reason."""


class ExpectationFailed(TurnFailed):
    pass


class Timeout(TurnFailed):
    pass


class Refused(TurnFailed):
    pass


class RateLimited(TurnFailed):
    pass


class Dropped(TurnFailed):
    pass


class Error(TurnFailed):
    pass


FAILURES: dict[str, type[TurnFailed]] = {
    "expectation": ExpectationFailed, "timeout": Timeout, "refused": Refused,
    "rate_limit": RateLimited, "dropped": Dropped, "error": Error,
}


#: what a worker says its version is, when set: how the tests play a worker of another
#: version (not a setting; a real mismatch comes from two installs)
VERSION_OVERRIDE = "VOICECHAT_LOAD_TEST_VERSION"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    if os.environ.get(VERSION_OVERRIDE):
        return os.environ[VERSION_OVERRIDE]
    try:
        return version("voicechat")
    except PackageNotFoundError:
        return "unknown"


class EngineClient:
    """This process's engine: started once, shared by its users; replies routed by id."""

    _instance: EngineClient | None = None
    _starting = Semaphore()
    #: stop() ran: this Locust is quitting, and no caller starts a conversation again
    closed = False

    def __init__(self) -> None:
        # the engine also ends at the end of its stdin, when this process goes
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "voicechat.load.engine"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, bufsize=1, env=os.environ.copy(),
            preexec_fn=ends_with_us())
        self.waiting: dict[int, Queue[dict[str, Any]]] = {}
        self.ready: AsyncResult = AsyncResult()
        self.next_id = 0
        self.handoff_ms: list[float] = []
        self.turn_names: list[str] = []
        self._write = Semaphore()
        gevent.spawn(self._read)

    @classmethod
    def start_early(cls) -> None:
        """Start this process's engine now, before any caller asks for it: its start-up (an
        interpreter, imports, the transport) then overlaps Locust's own instead of eating the
        run's first seconds. On a loaded machine that start-up took longer than a 10 s run,
        which then measured no turn at all (a fresh-clone run's test, issue 79)."""
        with cls._starting:
            if cls._instance is None and not cls.closed:
                cls._instance = EngineClient()

    @classmethod
    def get(cls) -> EngineClient:
        with cls._starting:
            if cls._instance is None:
                cls._instance = EngineClient()
            engine = cls._instance
        message = engine.ready.get(timeout=ENGINE_START_S)
        if "fatal" in message:
            raise RuntimeError(message["fatal"])
        return engine

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            sent = message.get("sent")
            if isinstance(sent, float):
                self.handoff_ms.append((time.monotonic() - sent) * 1000.0)
            if "ready" in message or "fatal" in message:
                self.turn_names = list(message.get("turns", []))
                self.ready.set(message)
                continue
            queue = self.waiting.get(message.get("id", -1))
            if queue is not None:
                queue.put(message)
        if not self.ready.ready():
            self.ready.set({"fatal": "the conversation engine exited before it was ready"})
        # Stopped by us (this Locust quits: the run's end, or its worker killed, whose Locust
        # then quits politely), the engine's end cuts the conversations in flight: no failure
        # of the agent, and not counted. Reported, the quitting hook's stop (which Locust runs
        # before it stops the users) made a killed worker's last conversation "the
        # conversation engine exited" by chance (a fresh-clone run, issue 77).
        cut = {"done": True} if EngineClient.closed else {
            "done": True, "error": "the conversation engine exited", "kind": "error"}
        for queue in self.waiting.values():
            queue.put(cut)

    def converse(self) -> tuple[int, Queue[dict[str, Any]]]:
        """Ask for one conversation: its id and the queue its messages arrive on."""
        self.next_id += 1
        rid = self.next_id
        queue: Queue[dict[str, Any]] = Queue()
        self.waiting[rid] = queue
        assert self.proc.stdin is not None
        with self._write:
            self.proc.stdin.write(json.dumps({"id": rid}) + "\n")
            self.proc.stdin.flush()
        return rid, queue

    def finished(self, rid: int) -> None:
        self.waiting.pop(rid, None)

    @classmethod
    def stop(cls) -> None:
        engine, cls._instance = cls._instance, None
        cls.closed = True
        if engine is None:
            return
        if engine.proc.stdin is not None:
            engine.proc.stdin.close()
        try:
            engine.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            engine.proc.kill()


#: a caller whose conversation could not start waits this long before the next one, so a
#: dead or refusing server gets a try per caller per second, not a storm of them
RETRY_AFTER_S = 1.0


class _Refusals:
    """Conversations that could not start, against those that did, in this process: when the
    first ones all fail the same way the run stops with the reason, once, instead of retrying
    a refusal that will not change (a wrong URL, a bad key, a server that is not there)."""

    started = 0
    failed = 0
    stopped = False


class VoiceCaller(User):
    """A caller who has the scenario's conversation again and again."""

    wait_time = constant(0)

    @task
    def converse(self) -> None:
        if EngineClient.closed:  # quitting: wait to be stopped, start no engine again
            gevent.sleep(1.0)
            return
        try:
            self._converse()
        except Exception as exc:  # counted, then a pause: never a busy loop
            self._report("session", None, f"{type(exc).__name__}: {exc}", "error")
            gevent.sleep(1.0)

    def _converse(self) -> None:
        try:
            engine = EngineClient.get()
        except RuntimeError as exc:
            self._fail_all(f"the conversation engine could not start: {exc}")
            return
        rid, queue = engine.converse()
        try:
            while True:
                message = queue.get()
                if message.get("done"):
                    if message.get("error"):
                        self._report("session", None, message["error"],
                                     message.get("kind") or "error")
                        _keep_example(self.environment, "session", message["error"], None,
                                      message.get("log"))
                        self._could_not_start(message["error"])
                    return
                _Refusals.started += 1
                self._report(message["name"], message.get("ms"), message.get("failure"),
                             message.get("kind") or "error")
                if message.get("failure"):
                    _keep_example(self.environment, message["name"], message["failure"],
                                  message.get("example"), message.get("log"))
        finally:
            engine.finished(rid)

    def _could_not_start(self, why: str) -> None:
        _Refusals.failed += 1
        users = max(1, self.environment.runner.target_user_count or 1)
        if _Refusals.started == 0 and _Refusals.failed >= max(3, users) \
                and not _Refusals.stopped:
            _Refusals.stopped = True
            print(f"voicechat load: no conversation could start ({_Refusals.failed} tries); "
                  f"the first reason: {why}. Stopping: fix the server, its URL or the key and "
                  "run again", file=sys.stderr, flush=True)
            # from another greenlet: stopping the users kills this one, which would cut the
            # quit short and leave the run going to its end
            gevent.spawn(self.environment.runner.quit)
            return
        gevent.sleep(RETRY_AFTER_S)

    def _report(self, name: str, ms: float | None, failure: str | None, kind: str) -> None:
        """One turn to Locust's statistics. A turn with no first audio has no response time
        (``None``, which Locust counts apart and leaves out of its percentiles): reported as
        0 ms it read as an instant answer, and pulled every percentile of its turn down."""
        failed = FAILURES.get(kind, Error)(failure) if failure else None
        self.environment.events.request.fire(
            request_type="turn", name=name, response_time=ms, response_length=0,
            exception=failed, context={})

    def _fail_all(self, why: str) -> None:
        self._report("session", None, why, "error")
        self.environment.process_exit_code = 2
        gevent.spawn(self.environment.runner.quit)  # not from this greenlet: see above


# --- the run's frame ------------------------------------------------------------------------------

_missing: set[str] = set()
_workers_seen: set[str] = set()
#: one example reason (with the measured values) per turn and failed checks: the failure
#: Locust counts names the checks only, so like failures are one row (issue 79); beside it
#: the first kept event logs of the row's conversations (voicechat/load/failed_logs.py)
EXAMPLE_MESSAGE = "voicechat_example"
_examples: dict[tuple[str, str], str] = {}
_logs: dict[tuple[str, str], list[str]] = {}


@functools.cache
def _logs_named() -> int:
    """The logs a failure row names: as many as each engine keeps (``--failed-logs``)."""
    plan = json.loads(os.environ.get(PLAN_VARIABLE, "{}"))
    return int((plan.get("failed_logs") or {}).get("per_failure") or 0)


def _keep_example(environment: Any, name: str, failure: str, example: str | None,
                  log: str | None) -> None:
    """The first example of a failure and its first logs; a worker also sends each to the
    master, once."""
    if not _note_example((name, failure), example, log):
        return
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.send_message(EXAMPLE_MESSAGE, {"name": name, "failure": failure,
                                                          "example": example, "log": log})


def _note_example(key: tuple[str, str], example: str | None, log: str | None) -> bool:
    """Note what is new of a failure's example and logs; whether anything was."""
    new = False
    if example and key not in _examples:
        _examples[key] = example
        new = True
    logs = _logs.setdefault(key, [])
    if log and log not in logs and len(logs) < _logs_named():
        logs.append(log)
        new = True
    return new


def _example_from_worker(environment: Any, msg: Any, **_: Any) -> None:
    data = msg.data
    example, log = data.get("example"), data.get("log")
    _note_example((str(data.get("name")), str(data.get("failure"))),
                  str(example) if example else None, str(log) if log else None)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message(VERSION_MESSAGE, _check_version)
        runner.register_message(EXAMPLE_MESSAGE, _example_from_worker)
        gevent.spawn(_watch_workers, runner)
        plan = json.loads(os.environ.get(PLAN_VARIABLE, "{}"))
        gevent.spawn(_await_workers, environment, float(plan.get("worker_wait_s", 60.0)),
                     int(plan.get("expect_workers", 1)))
    elif isinstance(runner, WorkerRunner):
        # a worker Locust forked (--processes) ends with the Locust that forked it, however
        # that ends (a --worker of ours is already told so by voicechat load: lifeline.py)
        end_with_parent(os.getppid())
        runner.send_message(VERSION_MESSAGE, {"version": _version()})
    if not isinstance(runner, MasterRunner):  # a worker, or the one process of a local run
        EngineClient.start_early()


def _check_version(environment: Any, msg: Any, **_: Any) -> None:
    theirs, ours = msg.data.get("version"), _version()
    if theirs != ours:
        environment.runner.voicechat_refusal = (
            f"worker {msg.node_id} runs voicechat {theirs}, the master {ours}: install the "
            "same version on every machine")
        print(f"voicechat load: {environment.runner.voicechat_refusal}", file=sys.stderr,
              flush=True)
        environment.process_exit_code = 2
        environment.runner.quit()


def _await_workers(environment: Any, wait_s: float, expected: int) -> None:
    """A master whose workers do not all join within ``wait_s`` stops with exit code 2 and
    says why: it waited forever, printing empty tables (issue 79). Locust's own
    ``--expect-workers-max-wait`` exits 1 without a summary, and while a headless master waits
    for its workers its main greenlet has not yet installed the SIGTERM handler that runs the
    shutdown; so this does the shutdown's part that matters here: the quitting hooks (the
    summary, with the reason), then the exit, which gevent raises in the main greenlet."""
    runner = environment.runner
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if len(runner.clients.ready) + len(runner.clients.spawning) + len(
                runner.clients.running) >= expected or runner.state != STATE_INIT:
            return
        gevent.sleep(0.5)
    joined = len(runner.clients)
    runner.voicechat_refusal = (
        f"{joined} of {expected} worker(s) joined within {wait_s:g} s (--worker-wait): start "
        "each with `voicechat load SCENARIO --worker --master-host HOST`, and check that they "
        "can reach the master's port")
    print(f"voicechat load: {runner.voicechat_refusal}", file=sys.stderr, flush=True)
    environment.process_exit_code = 2
    environment.events.quitting.fire(environment=environment, reverse=True)
    runner.quit()
    sys.exit(2)


def _watch_workers(runner: Any) -> None:
    """Say each worker the run loses, and keep it for the summary's ``workers_lost``: one that
    stopped answering (killed with its whole process group, or cut off), and one that left
    while the run was going on. The second went unreported (issue 79): a ``--worker`` killed
    alone ends its Locust with it (lifeline.py), which quits politely, and Locust forgets a
    worker that quits."""
    while True:
        present = set()
        for worker in list(runner.clients.values()):
            present.add(worker.id)
            _workers_seen.add(worker.id)
            if worker.state == "missing" and worker.id not in _missing:
                _missing.add(worker.id)
                print(f"voicechat load: worker {worker.id} stopped answering (it died or "
                      "lost the network); the run goes on with the others", file=sys.stderr,
                      flush=True)
        if runner.state in (STATE_SPAWNING, STATE_RUNNING):
            for gone in sorted(_workers_seen - present - _missing):
                _missing.add(gone)
                print(f"voicechat load: worker {gone} left before the run's end (it was "
                      "stopped or killed); the run goes on with the others", file=sys.stderr,
                      flush=True)
        gevent.sleep(1.0)


@events.quitting.add_listener
def _on_quitting(environment: Any, **_: Any) -> None:
    EngineClient.stop()
    if isinstance(environment.runner, WorkerRunner):
        return
    path = os.environ.get(SUMMARY_VARIABLE)
    if not path:
        return
    plan = json.loads(os.environ.get(PLAN_VARIABLE, "{}"))
    # the run's length is to now, its end: not to its last reported turn (issue 79)
    summary = summary_of(environment, plan, sorted(_missing), len(_workers_seen) or None,
                         ended_at=time.time(), examples=_examples, logs=_logs)
    with open(path, "w", encoding="utf-8") as out:
        json.dump(summary, out, indent=2)
