"""``save_transcripts = true``: a ``--no-ui`` run against the local server saves its
conversation as Markdown in the user data folder and prints where; without the key nothing is
written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server
from tests.server.fake_chat import fake_chat, text_reply


@pytest.mark.parametrize("asked", [True, False])
async def test_the_conversation_is_saved_only_when_the_config_asks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: bool) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = tmp_path / "data" / "voicechat" / "conversations"
    (tmp_path / "cfg.toml").write_text("save_transcripts = true\n" if asked else "",
                                       encoding="utf-8")
    async with fake_chat(text_reply("Noted, thank you.")) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv:
        code, out, err, _ = await run_no_ui(tmp_path, srv.base_url, "websocket",
                                            "please remember this\n", "--turns", "1")
    assert code == 0, err[-3000:]
    if not asked:
        assert not folder.exists()
        return
    [saved] = folder.glob("voicechat-*.md")
    assert f"this conversation is saved to {saved}" in out
    text = saved.read_text(encoding="utf-8")
    assert text.index("please remember this") < text.index("Noted, thank you.")
    assert "**Assistant**" in text and "usage:" in text
