"""The session's output buffer: actions in decision order, notices kept, invalid config refused."""

from __future__ import annotations

from tests.core.harness import notices, sent_types
from voicechat.core.actions import FlushPlayback, Notice, Send
from voicechat.core.effects import Effects
from voicechat.core.outbox import Outbox
from voicechat.protocol.dialect import Dialect


def test_invalid_create_config_is_not_sent() -> None:
    effects = Effects(Outbox(Dialect.GA))
    sent = effects.send({"type": "response.create", "response": {"modalities": ["text"]}})
    out = effects.take()
    assert sent is None and sent_types(out) == []
    assert notices(out, "error") == [
        "Unknown parameter: 'response.modalities'. (param response.modalities; "
        "response.create not sent)"
    ]
    assert effects.notices == tuple(out)  # the refusal is shown in the view as well


def test_actions_come_out_in_decision_order_once() -> None:
    effects = Effects(Outbox(Dialect.GA))
    effects.act(FlushPlayback())
    sent = effects.send({"type": "response.cancel", "response_id": "resp_1"})
    effects.notice("info", "cancelled")
    out = effects.take()
    assert isinstance(sent, Send) and sent.event["event_id"] == "vc_1"
    assert out == [FlushPlayback(), sent, Notice("info", "cancelled")]
    assert effects.take() == []
    assert effects.notices == (Notice("info", "cancelled"),)


def test_notice_history_is_bounded_and_its_tuple_reused() -> None:
    effects = Effects(Outbox(Dialect.GA), notice_limit=2)
    for n in range(3):
        effects.notice("info", str(n))
    assert [n.message for n in effects.notices] == ["1", "2"]
    assert effects.notices is effects.notices
