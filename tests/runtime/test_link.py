"""The link: connection loss, reconnect with backoff, seeding, queued sends.

The conversation must survive: the old session and its transcript stay until a new connection is
up, and the new server session is seeded with every earlier turn, however many attempts it takes.
The first tests script the server (:mod:`tests.runtime.fakes`); the slow ones run against the
real local server, killed and restarted as a process.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import local_server, until
from tests.runtime.conversation import Conversation, norm
from tests.runtime.fakes import FakeServer, Parts, assistant_text_item, user_text_item
from tests.runtime.server_process import ServerProcess
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.config import Settings
from voicechat.core import SendText
from voicechat.protocol.dialect import Dialect
from voicechat.runtime import Runtime
from voicechat.runtime.driver import HOLD_TRANSCRIPT_S
from voicechat.runtime.link import seed_item, transcript_for_seed
from voicechat.server.app import LocalServer


async def connected(parts: Parts) -> None:
    """Connect, and have the server echo one earlier exchange into the transcript."""
    await parts.link.connect()
    parts.server.last.server_says({"type": "conversation.item.added", "previous_item_id": None,
                                   "item": user_text_item("item_u1", "Remember banana.")})
    parts.server.last.server_says({"type": "conversation.item.added",
                                   "previous_item_id": "item_u1",
                                   "item": assistant_text_item("item_a1", "Banana it is.")})


async def test_first_connect_starts_the_session_once_the_transport_is_up() -> None:
    server = FakeServer(on_connect=[{"type": "session.created", "event_id": "e1",
                                     "session": {"type": "realtime"}}])
    parts = Parts(server)
    await parts.link.connect()
    assert parts.link.connected and parts.link.connection.state == "connected"
    assert [e["type"] for e in server.last.sent] == ["session.update"]
    # the frame that came during connect() was logged at once and fed after the session started
    assert parts.kinds("in") == ["session.created"]
    assert parts.driver.view.transport_state == "connected"


async def test_failed_attempts_keep_the_conversation_and_every_attempt_seeds_it() -> None:
    parts = Parts()
    await connected(parts)
    before = parts.shown()
    assert before == [("user", "Remember banana."), ("assistant", "Banana it is.")]
    old_session = parts.driver.session
    # attempts 1 and 2 are refused, and the server even slips a frame in before refusing
    parts.server.refusals = 2
    parts.server.on_refusal = [{"type": "conversation.item.added", "previous_item_id": None,
                                "item": user_text_item("item_x", "from a dead attempt")}]
    parts.server.last.die()
    assert parts.lost == 1 and not parts.link.connected
    parts.driver.user("send_text", SendText("Still there?"))  # typed while down: queued
    await until(lambda: parts.link.reconnects == 1, "the link to settle")
    failures = [n for n in parts.notices() if n.startswith("reconnect attempt")]
    assert failures == ["reconnect attempt 1 failed: connection refused",
                        "reconnect attempt 2 failed: connection refused"]
    assert len(parts.server.transports) == 4  # the first, two refused, the one that connected
    assert all(t.closed for t in parts.server.transports[1:3])
    # the old session was replaced only when the connection was up, and kept its transcript
    assert parts.driver.session is not old_session
    assert old_session.view.entries[0].text == "Remember banana."
    assert "from a dead attempt" not in [e.text for e in old_session.view.entries]
    sent = parts.server.last.sent
    assert [e["type"] for e in sent][:3] == ["session.update", "conversation.item.create",
                                             "conversation.item.create"]
    seeded = [(e["item"]["role"], e["item"]["content"][0]["text"]) for e in sent[1:3]]
    assert seeded == before
    typed = [e for e in sent[3:] if e["type"] == "conversation.item.create"]
    assert typed[0]["item"]["content"][0]["text"] == "Still there?"
    assert any("seeded with 2 earlier message(s)" in n for n in parts.notices())
    # until the new server echoes the seed, the screen keeps the old transcript...
    assert parts.shown() == before
    assert parts.driver.session.view.entries == ()
    # ...and then shows the new session's own
    server = parts.server.last
    server.server_says({"type": "conversation.item.added", "previous_item_id": None,
                        "item": user_text_item("item_n1", "Remember banana.")})
    assert parts.shown() == before
    server.server_says({"type": "conversation.item.added", "previous_item_id": "item_n1",
                        "item": assistant_text_item("item_n2", "Banana it is.")})
    assert [e.id for e in parts.driver.view.entries] == ["item_n1", "item_n2"]


async def test_the_held_transcript_gives_way_when_the_echo_never_comes() -> None:
    parts = Parts()
    await connected(parts)
    parts.server.last.die()
    await until(lambda: parts.link.reconnects == 1, "the link to settle")
    assert parts.shown() == [("user", "Remember banana."), ("assistant", "Banana it is.")]
    parts.clock.now += HOLD_TRANSCRIPT_S
    assert parts.shown() == []  # the new session's own (empty) transcript


async def test_sends_while_down_queue_except_audio_and_cuts() -> None:
    parts = Parts()
    await connected(parts)
    parts.server.refusals = 1
    parts.server.last.die()
    parts.link.send({"type": "input_audio_buffer.append", "audio": ""})
    parts.link.send({"type": "response.cancel"})
    parts.link.send({"type": "conversation.item.create", "item": user_text_item("x", "hi")})
    assert not parts.link.send_mic(np.zeros(960, dtype=np.int16))
    await until(lambda: parts.link.reconnects == 1, "the link to settle")
    sent = parts.server.last.sent
    assert [e["type"] for e in sent] == ["session.update"] + ["conversation.item.create"] * 3
    assert sent[-1]["item"] == user_text_item("x", "hi")  # after the two seeded turns
    assert parts.server.last.mic == []


async def test_gives_up_after_the_last_attempt() -> None:
    parts = Parts()
    await connected(parts)
    parts.server.refusals = 99
    parts.server.last.die()
    await until(lambda: parts.gave_up, "the link to settle")
    assert parts.link.connection.state == "failed"
    assert "the connection is lost and could not be restored" in parts.notices()
    assert parts.shown()[0] == ("user", "Remember banana.")  # nothing said is lost from view


async def test_close_stops_reconnecting_and_ignores_the_dead_transport() -> None:
    parts = Parts()
    await connected(parts)
    parts.server.refusals = 99
    parts.server.last.die()
    await parts.link.close()
    transports = len(parts.server.transports)
    await asyncio.sleep(0.05)
    assert len(parts.server.transports) == transports
    assert parts.link.connection.state == "closed"


def test_seed_is_the_trimmed_text_turns_in_the_endpoints_dialect() -> None:
    parts = Parts(dialect="beta")
    parts.server_event({"type": "conversation.item.created", "previous_item_id": None,
                        "item": user_text_item("u1", "  Hello  ")})
    parts.server_event({"type": "conversation.item.created", "previous_item_id": "u1",
                        "item": assistant_text_item("a1", "")})
    assert transcript_for_seed(parts.driver.view) == (("user", "Hello"),)
    beta = seed_item("assistant", "Hi", Dialect.BETA)
    assert beta["item"]["content"] == [{"type": "text", "text": "Hi"}]
    ga = seed_item("assistant", "Hi", Dialect.GA)
    assert ga["item"]["content"] == [{"type": "output_text", "text": "Hi"}]


@pytest.mark.slow
async def test_connection_drop_reconnects_with_the_transcript(
    conversation: Callable[..., Any], server: LocalServer, tmp_path: Path
) -> None:
    wav = speech_wav(tmp_path / "drop.wav", TEST_PHRASES[:2], gap_s=7.0, tail_s=1.5)
    conv: Conversation = await conversation(mic=str(wav))
    rt = conv.runtime
    await conv.until(lambda: rt.completed_responses == 1 and rt.view.mic_label == "live")
    before = [(e.role, e.text) for e in rt.view.entries if e.text]
    assert len(before) == 2
    call_id = rt.transport.call_id  # type: ignore[union-attr]
    await server.calls[call_id].pc.close()  # kill the server's side of the peer connection
    await conv.until(lambda: rt.reconnects == 1 and rt.connection.state == "connected")
    states = [e["state"] for e in conv.find("local.transport.state")]
    lost = states.index("reconnecting")
    assert states[lost - 1] in ("closed", "failed")
    assert states[lost + 1 :][-1] == "connected"
    seeded = conv.find("conversation.item.create", "out")
    assert [(e["item"]["role"], e["item"]["content"][0]["text"]) for e in seeded] == before
    await conv.until(lambda: rt.completed_responses == 2, timeout=60)
    await conv.until(lambda: len([e for e in rt.view.entries if e.text]) >= 4)
    texts = [(e.role, norm(e.text)) for e in rt.view.entries if e.text]
    assert texts[:2] == [(r, norm(t)) for r, t in before]
    assert texts[2] == ("user", norm(TEST_PHRASES[1]))
    assert texts[3][0] == "assistant" and norm(TEST_PHRASES[1]) in texts[3][1]
    assert any("reconnected" in e["message"] for e in conv.find("local.notice"))


@pytest.mark.slow
async def test_websocket_closed_by_session_expiry_reconnects(tmp_path: Path) -> None:
    async with local_server(session_max_s=4.0) as srv:
        settings = Settings(server="local", transport="websocket", mic="none", speaker="none",
                            local_voice="tone")
        conv = Conversation(Runtime(settings, local_server=srv))
        rt = conv.runtime
        await rt.start()
        try:
            rt.send_text("Remember the word banana.")
            await conv.until(lambda: rt.completed_responses == 1)
            await conv.until(lambda: rt.reconnects == 1 and rt.connection.state == "connected")
            errors = [e["error"]["code"] for e in conv.find("error", "in")]
            assert errors == ["session_expired"]
            seeded = conv.find("conversation.item.create", "out")[1:]  # [0] is the typed text
            assert [e["item"]["role"] for e in seeded] == ["user", "assistant"]
            assert seeded[0]["item"]["content"][0]["text"] == "Remember the word banana."
            rt.send_text("What was the word?")
            await conv.until(lambda: rt.completed_responses == 2)
            await conv.until(lambda: len(rt.view.entries) >= 4)
            texts = [(e.role, e.text) for e in rt.view.entries]
            assert texts[0] == ("user", "Remember the word banana.")
            assert texts[2] == ("user", "What was the word?")
        finally:
            await rt.stop()


def shown(rt: Runtime) -> list[tuple[str, str]]:
    """The turns the transcript shows (as the seed carries them: trimmed, non-empty)."""
    return [(e.role, e.text.strip()) for e in rt.view.entries if e.text.strip()]


LONG_STORY = " ".join(["and the story goes on for a good while"] * 6)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("transport", "how"),
    # A killed process drops the WebSocket at once; a WebRTC peer that vanishes without a word
    # is noticed by the liveness watch (the server's RTP and events stop: issue 14, item 2).
    [("websocket", signal.SIGKILL), ("webrtc", signal.SIGKILL)],
    ids=["websocket-killed", "webrtc-killed"],
)
async def test_reconnect_keeps_the_conversation_when_the_first_attempts_fail(
    tmp_path: Path, transport: str, how: signal.Signals
) -> None:
    """The server dies mid-answer and is back only after two reconnect attempts have failed:
    the transcript stays on screen meanwhile, and the attempt that connects seeds every turn."""
    script = tmp_path / "script.txt"
    script.write_text(f"Banana it is.\n{LONG_STORY}\nThe word was banana.\n", encoding="utf-8")
    server = ServerProcess(tmp_path / "server.log", "--voice", "tone",
                           "--responder", f"script:{script}")
    await server.start()
    settings = Settings(server=server.base_url, transport=transport, api_key="sk-test-key-123456",
                        mic="none", speaker="none")
    rt = Runtime(settings)
    conv = Conversation(rt)
    try:
        await rt.start()
        rt.send_text("Remember the word banana.")
        await conv.until(lambda: rt.completed_responses == 1)
        rt.send_text("Tell me a long story.")
        await conv.until(lambda: len(conv.find("response.created", "in")) == 2
                         and any("story goes on" in e.text for e in rt.view.entries))
        await server.kill(how)  # mid-answer
        await conv.until(lambda: rt.connection.state == "reconnecting")
        before = shown(rt)
        assert before[:3] == [("user", "Remember the word banana."),
                              ("assistant", "Banana it is."), ("user", "Tell me a long story.")]
        sent_before = len(conv.find("conversation.item.create", "out"))

        def failed(n: int) -> bool:
            return any(f"reconnect attempt {n} failed" in m for m in conv.notices())

        await conv.until(lambda: failed(2))
        # the failed attempts left the conversation as it was: the TUI still shows it
        assert shown(rt) == before
        assert rt.reconnects == 0
        await server.start()  # the same port
        await conv.until(lambda: rt.reconnects == 1 and rt.connection.state == "connected",
                         timeout=60)
        seeded = conv.find("conversation.item.create", "out")[sent_before:]
        assert [(e["item"]["role"], e["item"]["content"][0]["text"]) for e in seeded] == before
        assert any("seeded with" in m for m in conv.notices())
        # the new session's transcript is rebuilt from the server's echo of the seed
        await conv.until(lambda: shown(rt) == before)
        done = rt.completed_responses
        rt.send_text("What was the word?")
        await conv.until(lambda: rt.completed_responses == done + 1)
        texts = [(e.role, norm(e.text)) for e in rt.view.entries if e.text.strip()]
        assert texts[: len(before)] == [(r, norm(t)) for r, t in before]
        assert texts[len(before)] == ("user", "what was the word")
    finally:
        await rt.stop()
        await server.kill()


async def test_a_switch_seeds_a_new_session_and_closes_the_old_transport() -> None:
    parts = Parts()
    await connected(parts)
    old = parts.server.last
    swapped: list[bool] = []
    other = Settings(server="local", model="gpt-realtime-mini")
    await parts.link.switch(other, before_adopt=lambda: swapped.append(True))
    assert swapped == [True] and old.closed and parts.link.transport is not old
    assert parts.link.connection.model == "gpt-realtime-mini"
    sent = parts.server.last.sent
    assert [e["type"] for e in sent][:3] == ["session.update", "conversation.item.create",
                                             "conversation.item.create"]
    assert any(n.startswith("new session on local · gpt-realtime-mini: seeded with 2")
               for n in parts.notices())


async def test_a_failed_switch_leaves_the_old_session_talking() -> None:
    parts = Parts()
    await connected(parts)
    old, old_session = parts.server.last, parts.driver.session
    parts.server.refusals = 1
    with pytest.raises(Exception, match="connection refused"):
        await parts.link.switch(Settings(server="local", model="other"),
                                before_adopt=lambda: None)
    assert parts.link.transport is old and not old.closed
    assert parts.driver.session is old_session
    assert parts.link.connection.model != "other" and parts.link.connected
    parts.driver.user("send_text", SendText("still here?"))
    assert old.sent[-2]["type"] == "conversation.item.create"  # the old link still carries it
