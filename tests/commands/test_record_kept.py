"""``--record`` to a path that already holds a log keeps that log (issue 55, item 4): a second
run replaced a 78-line log with a 35-line one, silently.

The installed ``voicechat --no-ui`` twice against the real local server, recording to the same
file; the TUI opens its log in the same place (``RuntimeLifecycle.start``) and shows the same
notice.
"""

from __future__ import annotations

from pathlib import Path

from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server, read_records


def _typed(records: list[dict[str, object]]) -> list[str]:
    return [str(r["event"]["item"]["content"][0]["text"])  # type: ignore[index]
            for r in records if r["dir"] == "out"
            and r["event"].get("type") == "conversation.item.create"]  # type: ignore[union-attr]


async def test_a_second_run_keeps_the_first_log_and_says_where(tmp_path: Path) -> None:
    async with local_server() as srv:
        code, _, err, first = await run_no_ui(tmp_path, srv.base_url, "websocket",
                                              "the first run\n", events=False)
        assert code == 0, err[-3000:]
        code, out, err, second = await run_no_ui(tmp_path, srv.base_url, "websocket",
                                                 "the second run\n", events=False)
    assert code == 0, err[-3000:]
    log, kept = tmp_path / "log.jsonl", tmp_path / "log.1.jsonl"
    assert _typed(second) == ["the second run"]  # the new log is where it was asked for
    assert read_records(kept) == first  # the earlier one, whole
    notice = f"{log} held an earlier log: it is kept as {kept}; this run's log is {log}"
    assert f"notice info: {notice}" in out.splitlines(), out
    assert any(r["event"].get("message") == notice for r in second)  # and the log says so
