"""The observer TUI with a real producer: the proxy, in front of our local server.

A WebSocket app talks to the local server through the proxy while the app watches; what the
panes show comes from the server's actual events and the live doctor's actual rules.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.helpers import local_server, until
from tests.ui.observer.test_observer_app import SIZE, shown
from voicechat.commands.observing import Clock, tap_factory
from voicechat.observe.feed import ObserverFeed
from voicechat.observe.upstream import resolve_upstream
from voicechat.proxy.app import RealtimeProxy
from voicechat.ui.observer.app import ObserverApp
from voicechat.ui.observer.panes import ProblemsPane, ResponsePane, TranscriptPane, VadPane

KEY = "sk-observer-test-0123456789"


async def test_the_observer_shows_a_websocket_session_through_the_proxy() -> None:
    async with local_server() as srv:
        feed = ObserverFeed()
        clock = Clock()
        proxy = RealtimeProxy(resolve_upstream(srv.base_url, {}), feed, tap_factory(feed, clock),
                              clock, port=0)
        state: dict[str, Any] = {"started": False, "stopped": False}

        async def produce() -> None:
            await proxy.start()
            state["started"] = True
            try:
                await asyncio.Event().wait()
            finally:
                await proxy.stop()
                state["stopped"] = True

        app = ObserverApp(feed, title="voicechat proxy", producer=produce, tick_s=0.02)
        async with app.run_test(size=SIZE) as pilot, aiohttp.ClientSession() as http:
            await until(lambda: state["started"], "the proxy to listen", sleep=pilot.pause)
            url = proxy.base_url.replace("http", "ws", 1) + "/v1/realtime?model=gpt-realtime"
            async with http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"}) as ws:
                assert (await ws.receive_json(timeout=30))["type"] == "session.created"
                await ws.send_json({"type": "conversation.item.create", "item": {
                    "type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": "hello observer"}]}})
                await ws.send_json({"type": "response.create"})
                while (await ws.receive_json(timeout=30))["type"] != "response.done":
                    pass
                await ws.send_json({"type": "response.cancel"})  # nothing to cancel: a problem
                await until(lambda: "cancel-without-response" in shown(app, ProblemsPane),
                            lambda: f"the live problem; problems: {shown(app, ProblemsPane)}",
                            sleep=pilot.pause)
                transcript = shown(app, TranscriptPane)
                assert "You: hello observer" in transcript
                assert "Assistant: You said: hello observer" in transcript
                assert " completed resp_" in shown(app, ResponsePane)
                assert app.current == "ws-1"
            await until(lambda: app.model.sessions["ws-1"].closed_by == "app",
                        "the session closed by the app", sleep=pilot.pause)
            assert "no speech detected yet" in shown(app, VadPane)  # typed only
            await pilot.press("q")
        assert state["stopped"]  # q cancelled the proxy, which stopped listening
