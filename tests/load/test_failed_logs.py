"""The first failed conversations' event logs under load (issue 79, item 8): held in memory
with their audio as sizes, written only when a failure has room, redacted as every log is."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.eventlog.record import LogRecord
from voicechat.load.failed_logs import ConversationLog, FailedLogs, failure_key, plan_of


def _conversation(secret: str = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789") -> ConversationLog:
    log = ConversationLog()
    log(LogRecord(0.0, "ts", "out", {"type": "input_audio_buffer.append", "audio": "A" * 6400}))
    log(LogRecord(0.1, "ts", "in", {"type": "response.output_audio.delta", "delta": "B" * 8000,
                                     "item_id": "item_1"}))
    log(LogRecord(0.2, "ts", "local", {"type": "local.notice", "level": "error",
                                        "message": f"refused with key {secret}"}))
    return log


def test_audio_is_held_as_its_size_and_secrets_never_reach_the_file(tmp_path: Path) -> None:
    log = _conversation()
    held = list(log.records())
    assert held[0].event["audio"] == {"bytes": 4800}
    assert held[1].event == {"type": "response.output_audio.delta",
                             "delta": {"bytes": 6000}, "item_id": "item_1"}
    path = FailedLogs(tmp_path / "failed").keep(log, ["turn 1\nreply.contains"], "1-turn 1")
    assert path is not None and path.parent == tmp_path / "failed"
    text = path.read_text(encoding="utf-8")
    assert "sk-proj-" not in text and "AAAA" not in text and "BBBB" not in text
    assert [json.loads(line)["event"]["type"] for line in text.splitlines()] == [
        "input_audio_buffer.append", "response.output_audio.delta", "local.notice"]


def test_each_failure_keeps_its_first_few_and_the_whole_is_bounded(tmp_path: Path) -> None:
    logs = FailedLogs(tmp_path, per_failure=2, most=5)
    same = [logs.keep(_conversation(), ["t1\nreply.contains"], f"{n}") for n in range(4)]
    assert [p is not None for p in same] == [True, True, False, False]
    # a conversation with a second failure that still has room is kept for it
    both = logs.keep(_conversation(), ["t1\nreply.contains", "t2\ntimeout"], "both")
    assert both is not None
    assert logs.keep(_conversation(), ["t2\ntimeout"], "t2") is not None
    assert logs.keep(_conversation(), ["t3\nrefused"], "t3") is not None  # the fifth
    assert logs.keep(_conversation(), ["t4\nrefused"], "t4") is None  # over the whole
    assert len(list(tmp_path.iterdir())) == 5


def test_a_folder_that_cannot_be_written_loses_the_log_not_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert FailedLogs(blocker / "failed").keep(_conversation(), ["k"], "n") is None


def test_an_expectation_is_its_checks_and_anything_else_its_kind() -> None:
    assert failure_key("t 1", "reply.contains", "expectation") == "t 1\nreply.contains"
    # a timeout's or a refusal's text carries ports and ids: one failure whatever they are
    assert failure_key("session", "refused at 127.0.0.1:4021", "refused") == \
        failure_key("session", "refused at 127.0.0.1:5077", "refused")
    assert plan_of({}) is None
    assert plan_of({"failed_logs": {"folder": "/x", "per_failure": 0}}) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("abcd"), max_size=30), st.integers(1, 4))
def test_each_failure_keeps_exactly_its_first_share(keys: list[str], per: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        logs = FailedLogs(Path(folder), per_failure=per)
        kept = [logs.keep(ConversationLog(), [key], f"{n}") is not None
                for n, key in enumerate(keys)]
        assert kept == [keys[:n].count(key) < per for n, key in enumerate(keys)]
        assert len(list(Path(folder).iterdir())) == sum(kept)
