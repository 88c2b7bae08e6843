"""A responder that cannot answer (issue 36, item 8): ``serve --responder chat:URL`` with the
chat endpoint down printed a traceback for every response, and the session's closing line said
``errors=0``. Now it is one line naming the endpoint, and the failed response is counted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server


async def test_an_unreachable_chat_endpoint_is_one_line_and_an_error(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="voicechat")
    async with local_server(responder="chat:http://127.0.0.1:9/v1") as srv:
        code, out, err, _ = await run_no_ui(tmp_path, srv.base_url, "websocket", "hello\n",
                                            events=False)
    assert code == 0, err[-2000:]
    assert "notice error: response failed: cannot reach the chat endpoint" in out
    failed = [r for r in caplog.records if "failed" in r.getMessage()
              and "cannot reach the chat endpoint http://127.0.0.1:9" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is None, [r.getMessage() for r in failed]
    closing = [r.getMessage() for r in caplog.records if " closed after " in r.getMessage()]
    assert closing and closing[-1].endswith("errors=1"), closing
