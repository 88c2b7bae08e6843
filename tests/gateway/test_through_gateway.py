"""voicechat through a gateway-shaped relay (tests/gateway_relay.py) in front of our own server,
as a new user runs it: the installed client, ``--no-ui``, typed turns (issue 37).

* A WebSocket-only gateway with the default settings (WebRTC): the client finds that WebRTC's
  signalling is not there, says why, and talks over WebSocket with the user's key, once.
* new-api as it behaves today (the retired beta forced upstream): one connection, a clear error
  naming the beta header and the gateway, exit code 1 — not a reconnect loop.
* A Chinese 503 "no channel": the gateway's own words shown, and explained in English.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from tests.commands.no_ui import VOICECHAT, at_terminal, run_no_ui
from tests.gateway_relay import NO_CHANNEL, gateway
from tests.helpers import events, local_server, read_records
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.server.app import LocalServer


def said(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("user:", "assistant:"))]


@pytest.mark.parametrize(("personality", "suffix"), [
    ("ws-only", "/v1"), ("ws-only", "")], ids=["with-v1", "bare-host"])
async def test_default_settings_fall_back_to_websocket(tmp_path: Path, personality: str,
                                                       suffix: str) -> None:
    async with local_server() as srv, gateway(srv.base_url, personality) as gw:
        code, out, err, _ = await run_no_ui(tmp_path, gw.base_url + suffix, None,
                                                  "hello there\nhow are you\n", events=False)
    assert code == 0, (out[-3000:], err[-3000:])
    assert said(out) == ["user: hello there", "assistant: You said: hello there",
                         "user: how are you", "assistant: You said: how are you"]
    notices = [line for line in out.splitlines() if "does not relay WebRTC" in line]
    assert len(notices) == 1, out
    assert "--transport websocket" in notices[0] and "404" in notices[0]
    assert gw.attempts == 1  # one WebSocket, no retry
    assert gw.posts == ["POST /v1/realtime/client_secrets"]  # tried WebRTC once, then not again


async def test_webrtc_through_litellm_takes_its_two_steps(tmp_path: Path) -> None:
    """LiteLLM relays WebRTC: the proxy key mints a token valid only at the proxy's /calls,
    the raw SDP goes there, and no Location comes back. The default settings talk WebRTC
    through it, with no fallback and no notice."""
    async with local_server() as srv, gateway(srv.base_url, "litellm") as gw:
        code, out, err, records = await run_no_ui(tmp_path, gw.base_url + "/v1", None,
                                                  "hello there\nhow are you\n", events=False)
    assert code == 0, (out[-3000:], err[-3000:])
    assert said(out) == ["user: hello there", "assistant: You said: hello there",
                         "user: how are you", "assistant: You said: how are you"]
    assert "does not relay WebRTC" not in out
    assert gw.posts == ["POST /v1/realtime/client_secrets", "POST /v1/realtime/calls"]
    assert gw.attempts == 0  # no WebSocket
    states = [r["event"].get("detail", "") for r in records
              if r["event"].get("type") == "local.transport.state"]
    assert any("WebRTC" in detail for detail in states), states


async def test_litellm_not_found_on_the_beta_path_falls_back_to_websocket(
        tmp_path: Path) -> None:
    """The beta dialect mints at /v1/realtime/sessions, which LiteLLM does not route
    (404 {"detail":"Not Found"}): WebSocket once, with the notice, and the beta header
    passed on because the client sent it."""
    async with local_server() as srv, gateway(srv.base_url, "litellm") as gw:
        code, out, err, _ = await run_no_ui(tmp_path, gw.base_url + "/v1", None,
                                            "hello there\n", "--dialect", "beta", events=False)
    assert code == 0, (out[-3000:], err[-3000:])
    assert said(out) == ["user: hello there", "assistant: You said: hello there"]
    notices = [line for line in out.splitlines() if "does not relay WebRTC" in line]
    assert len(notices) == 1 and "404" in notices[0], out
    assert gw.posts == ["POST /v1/realtime/sessions"] and gw.attempts == 1


async def test_new_api_today_ends_with_the_reason_not_a_loop(tmp_path: Path) -> None:
    async with local_server() as srv, gateway(srv.base_url, "new-api-today") as gw:
        code, out, err, _ = await run_no_ui(tmp_path, gw.base_url + "/v1", None,
                                                  "hello there\n", events=False)
    assert code == 1, (out[-3000:], err[-3000:])
    assert gw.attempts == 1, f"{gw.attempts} connection attempts: a retry loop"
    text = out + err
    assert "beta_api_shape_disabled" in text
    assert "OpenAI-Beta" in text and "new-api" in text, text[-3000:]
    assert "reconnect" not in text.lower(), text[-3000:]
    # said once, explained (the error event and the core's generic notice are not repeated)
    assert text.count("The Realtime Beta API is no longer supported") == 1, text[-3000:]
    # the doctor's finding on that run's log (it said "No problems found" before)
    doctor = subprocess.run([str(VOICECHAT), "doctor", str(tmp_path / "log.jsonl")],
                            capture_output=True, text=True, timeout=120)
    assert "retired-beta" in doctor.stdout, doctor.stdout + doctor.stderr
    assert "new-api" in doctor.stdout and "No problems found" not in doctor.stdout


async def test_a_chinese_503_is_shown_and_explained(tmp_path: Path) -> None:
    async with local_server() as srv, gateway(srv.base_url, "no-channel") as gw:
        code, out, err, _ = await run_no_ui(tmp_path, gw.base_url + "/v1", "websocket",
                                            "hello there\n", events=False)
    assert code == 1, (out[-3000:], err[-3000:])
    assert NO_CHANNEL in err, err
    assert "no channel" in err.lower() and "gpt-realtime" in err
    assert "new-api" in err  # the family, from new_api_error / X-Oneapi-Request-Id
    assert gw.attempts == 1
    doctor = subprocess.run([str(VOICECHAT), "doctor", str(tmp_path / "log.jsonl")],
                            capture_output=True, text=True, timeout=120)
    assert "[gateway-refusal]" in doctor.stdout and NO_CHANNEL in doctor.stdout, doctor.stdout


async def test_beta_shaped_answers_in_a_ga_session_are_explained(tmp_path: Path) -> None:
    async with local_server() as srv, gateway(srv.base_url, "speaks-beta") as gw:
        _code, out, err, _ = await run_no_ui(tmp_path, gw.base_url + "/v1", "websocket",
                                             "hello there\n", events=False)
    notices = [line for line in out.splitlines() if "beta-dialect events" in line]
    assert len(notices) == 1, (out[-3000:], err[-3000:])
    assert "OpenAI-Beta" in notices[0] and "new-api" in notices[0]


async def test_a_silent_close_after_response_done_is_said_to_be_billing(tmp_path: Path) -> None:
    async with local_server() as srv, gateway(srv.base_url, "bills-and-drops") as gw, \
            at_terminal(tmp_path, gw.base_url + "/v1", events=False) as term:
        term.type("hello there")
        lost = await term.line_with("connection lost")
    assert "1006" in lost and "billing" in lost and "quota" in lost, lost
    assert "new-api" in lost  # the family, from the handshake's X-Oneapi-Request-Id


async def test_a_lasting_refusal_on_reconnect_ends_the_run(tmp_path: Path) -> None:
    """A lost link is reconnected; a reconnect the gateway refuses for good (no channel) ends
    the run with the reason, instead of trying again with backoff."""
    async with local_server() as srv, gateway(srv.base_url, "ws-only") as gw, \
            at_terminal(tmp_path, gw.base_url + "/v1", events=False) as term:
        term.type("hello there")
        await term.line_with("assistant: You said: hello there")
        gw.personality = "no-channel"
        gw.drop_all()
        said = await term.line_with("无可用渠道")
        code = await asyncio.wait_for(term.proc.wait(), 60)
    assert "no channel for this model" in said, said
    assert code == 1
    assert gw.attempts == 2, f"{gw.attempts} connection attempts"
    assert not any("reconnect attempt 2" in line for line in term.seen), term.seen


@pytest.mark.parametrize("suffix", ["/v1", ""], ids=["with-v1", "bare-host"])
async def test_two_spoken_turns_through_a_websocket_only_gateway(
        tmp_path: Path, server: LocalServer, suffix: str) -> None:
    """The spoken half of the acceptance: a file mic's two questions, default settings (WebRTC
    tried, then WebSocket), the mic audio relayed as text frames by the gateway."""
    wav = speech_wav(tmp_path / "two.wav", TEST_PHRASES[:2], gap_s=0.8, tail_s=1.0)
    log = tmp_path / "log.jsonl"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI", "AZURE", "VOICECHAT"))}
    env["OPENAI_API_KEY"] = "sk-gateway-token-for-the-test"
    (tmp_path / "cfg.toml").write_text("", encoding="utf-8")
    async with gateway(server.base_url, "ws-only") as gw:
        proc = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "--no-ui", "--server", gw.base_url + suffix, "--mic", str(wav),
            "--speaker", "none", "--turns", "2", "--record", str(log),
            "--config", str(tmp_path / "cfg.toml"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
        out_b, err_b = await asyncio.wait_for(proc.communicate(), 180)
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, (out[-3000:], err[-3000:])
    heard = [e["transcript"].lower().rstrip(".?") for e in events(read_records(log), "in")
             if e["type"] == "conversation.item.input_audio_transcription.completed"]
    assert heard == [p.lower().rstrip(".?") for p in TEST_PHRASES[:2]], out[-3000:]
    assert len([line for line in said(out) if line.startswith("assistant:")]) == 2, out
    assert sum("does not relay WebRTC" in line for line in out.splitlines()) == 1, out
    assert gw.attempts == 1 and gw.posts == ["POST /v1/realtime/client_secrets"]
    assert "sk-gateway-token" not in out + err + log.read_text(encoding="utf-8")
