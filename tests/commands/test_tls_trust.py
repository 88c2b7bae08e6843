"""A server whose TLS certificate the client does not trust (self-signed, a private CA): the
error says how to trust it, and that way works (issue 55)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server
from tests.server.gemini.peers import make_tls_pair


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
async def test_an_untrusted_certificate_names_the_fix_and_the_fix_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str) -> None:
    tls = make_tls_pair(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    async with local_server(tls=tls.server) as srv:
        assert srv.base_url.startswith("https://")
        code, out, err, _ = await run_no_ui(tmp_path, srv.base_url, transport, "hello\n",
                                            "--turns", "1", events=False)
        assert code == 1
        assert "certificate verify failed" in err
        assert "fix:" in err and "SSL_CERT_FILE" in err and "Traceback" not in err

        monkeypatch.setenv("SSL_CERT_FILE", str(tls.cert_file))
        code, out, err, _ = await run_no_ui(tmp_path, srv.base_url, transport, "hello\n",
                                            "--turns", "1", events=False)
        assert code == 0, err
        assert "user: hello" in out and "assistant: " in out
