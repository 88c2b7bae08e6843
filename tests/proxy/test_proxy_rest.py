"""The REST calls around Realtime sessions pass through the proxy with status, headers and body.

A WebRTC call created through the proxy gets its sideband attached automatically (the call id is
in the ``Location`` of the answer), and hanging up through the proxy ends it.
"""

from __future__ import annotations

import aiohttp
from aiortc import RTCPeerConnection
from openai import AsyncOpenAI

from tests.helpers import local_server, until
from tests.proxy.harness import running_proxy
from tests.proxy.test_proxy_sdk import KEY, client


async def sdp_offer() -> tuple[RTCPeerConnection, str]:
    """A real browser-like offer: one audio transceiver and the oai-events data channel."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendrecv")
    pc.createDataChannel("oai-events")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def test_client_secret_and_beta_session_pass_through_and_the_ek_key_works() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy:
        oai = client(proxy)
        secret = await oai.realtime.client_secrets.create(
            session={"type": "realtime", "model": "gpt-realtime"})
        assert secret.value.startswith("ek_")
        beta = await oai.beta.realtime.sessions.create(model="gpt-4o-realtime-preview")
        assert beta.client_secret.value.startswith("ek_")
        # the ephemeral key authenticates a WebSocket through the proxy (subprotocol, as browsers)
        async with aiohttp.ClientSession() as http, http.ws_connect(
                f"{proxy.ws_base}/v1/realtime?model=gpt-realtime",
                protocols=("realtime", f"openai-insecure-api-key.{secret.value}")) as ws:
            assert (await ws.receive_json(timeout=30))["type"] == "session.created"
        await proxy.closed("ws-1")
        http_lines = await until(lambda: [e for e in proxy.seen.events("proxy")
                                          if e.get("type") == "local.proxy.http"][1:] and [
            e for e in proxy.seen.events("proxy") if e.get("type") == "local.proxy.http"],
            "the two REST calls in the feed")
    assert [(e["path"], e["status"]) for e in http_lines] == [
        ("/v1/realtime/client_secrets", 200), ("/v1/realtime/sessions", 200)]
    everything = repr(proxy.seen.items)
    assert secret.value not in everything and beta.client_secret.value not in everything
    assert KEY not in everything


async def test_webrtc_offer_gets_location_sideband_attached_and_hangup_passes() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy:
        oai = client(proxy)
        pc, offer = await sdp_offer()
        try:
            raw = await oai.realtime.calls.with_raw_response.create(sdp=offer)
            assert raw.http_response.status_code == 201
            location = raw.headers["location"]
            call_id = location.rsplit("/", 1)[-1]
            assert location == f"/v1/realtime/calls/{call_id}" and srv.find_call(call_id)
            assert raw.http_response.text.startswith("v=0")  # the SDP answer, intact
            opened = await until(lambda: [o for o in proxy.seen.opened()
                                          if o.kind == "sideband"], "the sideband to attach")
            assert opened[0].session == f"call {call_id}"
            await oai.realtime.calls.hangup(call_id)
            await until(lambda: srv.find_call(call_id) is None, "the call to end upstream")
            # the server closes a call's sideband sockets when it hangs up: the watcher sees
            # the call end while the proxy still runs
            closed = await until(lambda: proxy.seen.closed(f"call {call_id}"),
                                 "the sideband to close with the call")
            assert closed.by == "upstream"
        finally:
            await pc.close()
    statuses = [(e["path"], e["status"]) for e in proxy.seen.events("proxy")
                if e.get("type") == "local.proxy.http"]
    assert statuses == [("/v1/realtime/calls", 201),
                        (f"/v1/realtime/calls/{call_id}/hangup", 200)]


async def test_unknown_paths_get_a_404_naming_the_served_paths() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy, \
            aiohttp.ClientSession() as http, \
            http.post(f"{proxy.base}/v1/chat/completions?api-key=sk-leak",
                      json={"model": "gpt-4o"}) as answer:
        assert answer.status == 404
        body = await answer.json()
    message = body["error"]["message"]
    assert body["error"]["code"] == "not_found"
    assert "/v1/chat/completions" in message and "sk-leak" not in message
    assert "/v1/realtime/client_secrets" in message and "/v1/realtime/calls" in message


async def test_an_unreachable_upstream_is_a_502_with_an_openai_shaped_body() -> None:
    async with local_server() as srv:
        dead = srv.base_url  # the server stops at the end of this block: nobody listens there
    async with running_proxy(dead) as proxy, aiohttp.ClientSession() as http:
        async with http.post(f"{proxy.base}/v1/realtime/client_secrets", json={},
                             headers={"Authorization": f"Bearer {KEY}"}) as answer:
            assert answer.status == 502
            body = await answer.json()
        assert body["error"]["code"] == "upstream_unreachable"
        assert body["error"]["type"] == "server_error" and body["error"]["message"]
        oai = AsyncOpenAI(api_key=KEY, base_url=f"{proxy.base}/v1",
                          websocket_base_url=f"{proxy.ws_base}/v1", max_retries=0)
        try:
            async with oai.realtime.connect(model="gpt-realtime"):
                raise AssertionError("connected to a dead upstream")
        except Exception as exc:  # the SDK's handshake error carries the 502
            assert "502" in str(exc)
        said = await until(lambda: [e for e in proxy.seen.events("proxy")
                                    if "unreachable" in str(e.get("message"))][1:],
                           "two unreachable lines")
    assert all("cannot connect to 127.0.0.1" in str(e["message"]) for e in said)
