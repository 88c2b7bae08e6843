"""The event logs of the first failed conversations under load, kept for the doctor (issue 79).

A failed conversation under load kept only its one-line reason; the log that says why (which
event came late, what the server said) was gone. Every conversation is now held in memory as
it runs (:class:`ConversationLog`, a subscriber of its runtime's event stream) and written out
only when it failed and its failure still has room (:class:`FailedLogs`): the first
``per_failure`` conversations of each failure, at most ``most`` logs in all, per engine
process. A passing conversation costs a list of references and is dropped.

Decided here:

* **What "a failure" is.** A failed expectation is its turn and the checks that failed (the
  row Locust and the summary count), so ten ``reply.contains`` failures of one turn keep three
  logs, not ten. Any other failure (a timeout, a refusal, a dropped session) is its turn and
  its kind: its text carries ids and ports that differ every time, and would make every
  conversation a failure of its own.
* **In memory, not on disk.** Recording every conversation to a file and deleting the passes
  wrote each event of each caller (a hundred callers: thousands of writes a second) to keep a
  handful. Audio payloads are replaced by their size as they come (the log would drop them
  anyway, and a caller's answers are ~64 kB of base64 a second), and each event is held as
  its JSON text; it is redacted as any log is when it is written.
* **Per process.** Each engine keeps its own first logs, with its process id in their names:
  no coordination between Locust's processes or machines, so a run of K processes keeps up to
  K × ``per_failure`` of a failure, each on the machine that ran it; the summary names the
  first ``per_failure`` it heard of.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from voicechat.eventlog.record import Direction, LogRecord
from voicechat.eventlog.recorder import Recorder
from voicechat.eventlog.redact import AUDIO_DELTA_TYPES, b64_size

#: conversations kept per failure, per process (``voicechat load --failed-logs N``)
PER_FAILURE = 3
#: logs kept in all, per process: failures whose text varies cannot fill a disk
MOST = 50
#: records held per conversation: a conversation that never ends cannot fill the memory
MAX_RECORDS = 50_000


class ConversationLog:
    """One conversation's records as they come, each as its event's JSON (audio payloads as
    their size), rebuilt and redacted only when the log is written."""

    def __init__(self) -> None:
        #: ``(t, ts, dir, event as JSON)``: bytes and numbers only, which the garbage collector
        #: does not track (holding the records themselves, dicts in dicts, made the engine's
        #: full collections under 100 callers 5 instead of 3, the longest 290 ms, not 200)
        self.lines: list[tuple[float, str, Direction, bytes]] = []
        self.dropped = 0

    def __call__(self, record: LogRecord) -> None:
        if len(self.lines) >= MAX_RECORDS:
            self.dropped += 1
            return
        event = record.event
        kind = event.get("type")
        if kind in AUDIO_DELTA_TYPES and isinstance(event.get("delta"), str):
            event = _without(event, "delta")
        elif kind == "input_audio_buffer.append" and isinstance(event.get("audio"), str):
            event = _without(event, "audio")
        try:
            text = orjson.dumps(event, default=str, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:  # (orjson's refusals) the stdlib's wider reach, or a word in its place
            try:
                text = _encode(event).encode()
            except ValueError:
                text = _encode({"type": str(kind), "unrecordable": True}).encode()
        self.lines.append((record.t, record.ts, record.dir, text))

    def records(self) -> Iterator[LogRecord]:
        for t, ts, direction, text in self.lines:
            yield LogRecord(t, ts, direction, json.loads(text))


#: what orjson (~8× faster: 1 µs an event, not 8) will not take; ``json.dumps`` with
#: options would build a new encoder a call
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _without(event: dict[str, Any], key: str) -> dict[str, Any]:
    out = dict(event)
    out[key] = {"bytes": b64_size(out[key])}
    return out


class FailedLogs:
    """Where the first failed conversations' logs go, and how many of each are kept."""

    def __init__(self, folder: Path, per_failure: int = PER_FAILURE, most: int = MOST) -> None:
        self.folder = folder
        self.per_failure = per_failure
        self.most = most
        self.kept: dict[str, int] = {}
        self.total = 0

    def keep(self, log: ConversationLog, failures: list[str], name: str) -> Path | None:
        """Write ``log`` as ``name`` when one of its ``failures`` (:func:`failure_key`) has
        room; where it was written, or ``None`` (no room, or the folder cannot be written: a
        lost log is not worth a failed run)."""
        room = [key for key in dict.fromkeys(failures) if self.kept.get(key, 0) < self.per_failure]
        if not room or self.total >= self.most:
            return None
        path = self.folder / f"{os.getpid()}-{_stem(name)}.jsonl"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with Recorder.open(path) as recorder:
                for record in log.records():
                    recorder.write(record)
                if log.dropped:
                    recorder.record("local", {"type": "local.notice", "level": "warning",
                                              "message": f"{log.dropped} later event(s) of this "
                                                         "conversation are not in its log"})
        except OSError:
            return None
        for key in room:
            self.kept[key] = self.kept.get(key, 0) + 1
        self.total += 1
        return path


def failure_key(turn: str, failure: str, kind: str | None) -> str:
    """What counts as one failure: an expectation's turn and checks, another's turn and kind."""
    return f"{turn}\n{failure if kind == 'expectation' else kind}"


def _stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "conversation"


def plan_of(plan: dict[str, Any]) -> FailedLogs | None:
    """The run plan's ``failed_logs`` (``{"folder", "per_failure"}``), or ``None``: none kept."""
    spec = plan.get("failed_logs")
    if not isinstance(spec, dict) or not spec.get("folder") or not spec.get("per_failure"):
        return None
    return FailedLogs(Path(spec["folder"]), int(spec["per_failure"]))
