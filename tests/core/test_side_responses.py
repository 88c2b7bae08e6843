"""Out-of-band responses stay out of the conversation: transcript, gating, notices."""

from __future__ import annotations

from tests.core.harness import Harness
from voicechat.core.side_responses import SideResponses


def created(rid: str, conversation: str | None) -> dict:
    return {"type": "response.created",
            "response": {"id": rid, "status": "in_progress", "conversation_id": conversation}}


def test_claims_only_responses_created_outside_the_conversation() -> None:
    side = SideResponses()
    assert side.claims(created("resp_side", None))
    assert not side.claims(created("resp_main", "conv_1"))
    assert not side.claims({"type": "response.created", "response": {"id": "resp_old"}})
    item = {"id": "item_side", "type": "message", "role": "assistant", "content": []}
    assert side.claims({"type": "response.output_item.added", "response_id": "resp_side",
                        "item": item})
    assert side.claims({"type": "conversation.item.done", "item": item})
    assert not side.claims({"type": "conversation.item.done", "item": item})  # forgotten
    assert not side.claims({"type": "response.output_text.delta", "response_id": "resp_main"})
    assert side.claims({"type": "response.done", "response": {"id": "resp_side"}})
    assert not side.claims({"type": "response.output_text.delta", "response_id": "resp_side"})


def test_an_out_of_band_answer_beside_a_reply_changes_nothing_in_the_session() -> None:
    h = Harness()
    h.start()
    session = h.session
    session.receive(created("resp_main", "conv_1"), 1.0)
    actions = session.receive(created("resp_side", None), 1.1)
    assert not any("still active" in str(a) for a in actions)
    item = {"id": "item_side", "type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": "user said: hello"}]}
    session.receive({"type": "response.output_item.added", "response_id": "resp_side",
                     "item": item}, 1.2)
    session.receive({"type": "conversation.item.done", "item": item}, 1.3)
    session.receive({"type": "response.done",
                     "response": {"id": "resp_side", "status": "completed",
                                  "conversation_id": None, "output": [item]}}, 1.4)
    view = session.view
    assert view.response_active  # the conversation's reply is still the active one
    assert [e.id for e in view.entries] == []
