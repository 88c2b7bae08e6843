"""``--resume`` into Gemini Live: a conversation recorded with Realtime goes into a Gemini
session as its history (``clientContent``, ``turnComplete: false``, after the first setup),
and the model answers the new question with it in context (the server's ``chat:`` responder
is a fake chat endpoint that answers only from what its history holds)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.commands.no_ui import VOICECHAT
from tests.commands.test_resume import SECOND_QUESTION, answer_from_history, first_conversation
from tests.helpers import events, local_server, read_records
from tests.server.fake_chat import fake_chat
from voicechat.protocol.gemini import names


async def test_a_realtime_conversation_resumes_into_gemini(tmp_path: Path) -> None:
    earlier = await first_conversation(tmp_path)
    async with fake_chat(answer_from_history) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv:
        proc = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "--no-ui", "--server", srv.base_url + names.PATH, "--provider",
            "gemini", "--mic", "none", "--speaker", "none", "--record",
            str(tmp_path / "gemini.jsonl"), "--resume", str(earlier), "--config",
            str(tmp_path / "cfg.toml"),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate((SECOND_QUESTION + "\n").encode()),
                                          90)
    assert proc.returncode == 0, err.decode()[-3000:]
    records = read_records(tmp_path / "gemini.jsonl")
    sent = [e for e in events(records, "out") if names.CLIENT_CONTENT in e]
    seed, question = sent[0][names.CLIENT_CONTENT], sent[1][names.CLIENT_CONTENT]
    assert seed["turnComplete"] is False
    assert [t["role"] for t in seed["turns"]] == ["user", "model"]
    assert "genmaicha" in seed["turns"][0]["parts"][0]["text"]
    assert question["turns"][0]["parts"][0]["text"] == SECOND_QUESTION
    assert "assistant: You said genmaicha." in out.decode()
