"""``rate_limits.updated``: once per response, right after ``response.created``, both dialects
(GA with the token bucket only, beta with requests and tokens)."""

from __future__ import annotations

from typing import Any

from tests.helpers import local_server
from tests.server.conftest import ws_peer
from voicechat.server.rate_limits import RateLimits, estimate_tokens

BETA = {"OpenAI-Beta": "realtime=v1", "Authorization": "Bearer sk-test"}


def test_buckets_refill_continuously() -> None:
    limits = RateLimits(requests_per_min=1000, tokens_per_min=40000)
    requests, tokens = limits.charge(100.0, 120)
    assert requests == {"name": "requests", "limit": 1000, "remaining": 999, "reset_seconds": 0.06}
    assert tokens == {"name": "tokens", "limit": 40000, "remaining": 39880, "reset_seconds": 0.18}
    # 30 s later the request bucket is full again before this charge; tokens had refilled too
    requests, tokens = limits.charge(130.0, 40000 + 5)
    assert requests["remaining"] == 999
    assert tokens["remaining"] == 0 and tokens["reset_seconds"] == 60.0  # clamped, empty
    requests, tokens = limits.charge(145.0, 0)
    assert tokens["remaining"] == 10000 and tokens["reset_seconds"] == 45.0


def test_token_estimate() -> None:
    assert estimate_tokens([]) == 1
    assert estimate_tokens(["abcd", "abcde"]) == 3


def text_turn(text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
            },
        },
    ]


class FrozenLimits(RateLimits):
    """The server's buckets with time standing still: nothing refills between two responses,
    so how many requests were booked shows in ``remaining`` however slow the machine is."""

    def charge(self, now: float, tokens: int) -> list[dict[str, Any]]:
        return super().charge(0.0, tokens)


async def test_each_response_reports_limits_after_created_ga_and_beta() -> None:
    async with local_server(text_delta_interval_s=0) as srv:
        srv.rate_limits = FrozenLimits()  # before any session: each one books against it
        async with ws_peer(srv) as peer:
            for n in range(2):
                for event in text_turn(f"turn {n}"):
                    await peer.send(event)
                await peer.send(
                    {"type": "response.create", "response": {"output_modalities": ["text"]}}
                )
                await _responses_done(peer, n + 1)
            ga = _limits_after_created(peer.log.events)
        async with ws_peer(srv, headers=BETA) as peer:
            for event in text_turn("beta turn"):
                await peer.send(event)
            await peer.send({"type": "response.create", "response": {"modalities": ["text"]}})
            await _responses_done(peer, 1)
            beta = _limits_after_created(peer.log.events)
    assert len(ga) == 2 and len(beta) == 1
    assert [[entry["name"] for entry in limits] for limits in ga] == [["tokens"], ["tokens"]]
    # one set of buckets for the whole server: GA sessions were charged requests too, so the
    # beta session's request is the third one booked
    requests, tokens = beta[0]
    assert requests["name"] == "requests" and requests["remaining"] == 997
    assert 0 < requests["reset_seconds"] < 1
    # tokens add up across sessions and dialects
    assert ga[0][0]["remaining"] > ga[1][0]["remaining"] > tokens["remaining"]


async def _responses_done(peer: Any, count: int) -> None:
    await peer.log.wait_for(
        "response.done", where=lambda e: len(peer.log.of("response.done")) >= count
    )


def _limits_after_created(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rate_limits of each response, asserting the event immediately follows its
    ``response.created``."""
    out: list[list[dict[str, Any]]] = []
    for i, event in enumerate(events):
        if event["type"] == "response.created":
            follower = events[i + 1]
            assert follower["type"] == "rate_limits.updated", [e["type"] for e in events]
            assert follower["event_id"].startswith("event_")
            out.append(follower["rate_limits"])
    return out
