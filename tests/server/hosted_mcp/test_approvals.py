"""Calls waiting for approval, and the rules for an ``mcp_approval_response`` item."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.helpers import local_server
from tests.server.conftest import ws_peer
from voicechat.server.app import LocalServer
from voicechat.server.hosted_mcp.approvals import Approvals, Decision


async def test_an_answer_wakes_the_waiting_call() -> None:
    approvals = Approvals()
    waiting = asyncio.ensure_future(approvals.wait("item_1", 30))
    await asyncio.sleep(0)  # let it register
    assert approvals.waiting("item_1")
    assert approvals.answer("item_1", Decision(False, "not now"))
    assert await waiting == Decision(False, "not now")
    assert not approvals.waiting("item_1")
    assert not approvals.answer("item_1", Decision(True))  # late: nothing waits


async def test_no_answer_in_time_is_none() -> None:
    approvals = Approvals()
    assert await approvals.wait("item_1", 0.01) is None
    assert not approvals.answer("item_1", Decision(True))


async def test_a_cancelled_wait_forgets_the_request() -> None:
    approvals = Approvals()
    waiting = asyncio.ensure_future(approvals.wait("item_1", 30))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not approvals.waiting("item_1")


@pytest.fixture
async def srv() -> AsyncIterator[LocalServer]:
    async with local_server() as server:
        yield server


async def test_an_approval_for_no_request_is_refused(srv: LocalServer) -> None:
    async with ws_peer(srv) as peer:
        await peer.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "mcp_approval_response",
                    "approval_request_id": "item_nope",
                    "approve": True,
                },
            }
        )
        error = await peer.log.wait_for("error")
        assert error["error"]["param"] == "item.approval_request_id"
        assert "'item_nope'" in error["error"]["message"]
        assert "conversation.item.added" not in peer.log.types()
