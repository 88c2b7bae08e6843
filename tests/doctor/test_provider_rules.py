"""The doctor on other providers' logs (issue 40, item 1): which provider the first frames point
at, and ``silent-start`` (a client waiting for xAI's missing ``session.created``): what must
fire, what must stay quiet; xAI's empty usage is no finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from voicechat.doctor import diagnose

Row = tuple[float, str, dict[str, Any]]
CONVERSATION = {"type": "conversation.created",
                "conversation": {"id": "conv_1", "object": "realtime.conversation"}}
XAI_SESSION = {"type": "realtime", "model": "grok-voice-latest", "voice": "Ara",
               "turn_detection": {"type": "server_vad", "silence_duration_ms": 500}}
UPDATE = {"type": "session.update", "session": {"type": "realtime", "voice": "Ara"}}


def report(tmp_path: Path, rows: list[Row]) -> Any:
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"t": t, "ts": "", "dir": d, "event": e}) + "\n"
                            for t, d, e in rows))
    return diagnose(path)


def rules(tmp_path: Path, rows: list[Row]) -> set[str]:
    return {f.rule for f in report(tmp_path, rows).findings}


def xai_start(update_at: float) -> list[Row]:
    return [(0.0, "in", CONVERSATION), (update_at, "out", UPDATE),
            (update_at + 0.1, "in", {"type": "session.updated", "session": XAI_SESSION})]


def test_waiting_for_session_created_fires(tmp_path: Path) -> None:
    assert rules(tmp_path, xai_start(8.0)) == {"silent-start"}


def test_a_client_that_waits_for_nothing_is_quiet(tmp_path: Path) -> None:
    assert rules(tmp_path, xai_start(0.05)) == set()
    assert rules(tmp_path, xai_start(4.0)) == set()  # under the threshold


def test_session_created_coming_late_is_not_this_rule(tmp_path: Path) -> None:
    rows = [(0.0, "in", CONVERSATION),
            (0.2, "in", {"type": "session.created", "session": XAI_SESSION}),
            (9.0, "out", UPDATE)]
    assert rules(tmp_path, rows) == set()


def test_a_client_that_never_spoke_until_the_close(tmp_path: Path) -> None:
    rows = [(0.0, "local", {"type": "local.transport.state", "state": "connected"}),
            (0.1, "in", CONVERSATION),
            (20.0, "local", {"type": "local.transport.state", "state": "closed",
                             "detail": "stopped"})]
    assert rules(tmp_path, rows) == {"silent-start"}


def test_server_events_only_cannot_tell(tmp_path: Path) -> None:
    rows = [(0.0, "in", CONVERSATION),
            (20.0, "in", {"type": "session.updated", "session": XAI_SESSION})]
    assert rules(tmp_path, rows) == set()


def test_the_provider_is_named_from_the_first_frames(tmp_path: Path) -> None:
    found = report(tmp_path, xai_start(0.05))
    assert found.provider == "xai"
    assert found.to_json()["provider"] == "xai"
    openai = [(0.0, "in", {"type": "session.created", "session": {
        "type": "realtime", "model": "gpt-realtime"}})]
    assert report(tmp_path, openai).provider is None


def test_xai_null_usage_is_no_finding(tmp_path: Path) -> None:
    done = {"type": "response.done", "response": {"id": "r1", "status": "completed",
                                                  "output": [], "usage": None}}
    rows = [*xai_start(0.05), (1.0, "in", {"type": "response.created",
                                           "response": {"id": "r1", "usage": None}}),
            (1.5, "in", done)]
    assert rules(tmp_path, rows) == set()


def test_a_proxied_session_names_its_provider(tmp_path: Path) -> None:
    """``voicechat proxy`` starts another provider's session with ``local.proxy.session``
    (path and model, no key): the doctor reads the provider from it as from our own logs."""
    proxied = (0.0, "local", {"type": "local.proxy.session",
                              "detail": "/v1/realtime?model=grok-voice-latest"})
    found = report(tmp_path, [proxied, *xai_start(8.0)])
    assert found.provider == "xai"
    assert [f.rule for f in found.findings] == ["silent-start"]
