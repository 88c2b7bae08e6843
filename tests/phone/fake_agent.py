"""A small Twilio-style agent of our own, for the wire's bad cases and its timing (issue 75).

It does what the usual agent does (Twilio's samples, the Agents SDK's example): its voice
webhook validates ``X-Twilio-Signature`` and answers ``<Say>`` then ``<Connect><Stream>`` with
a ``wss://`` URL on its own public host (no port, as behind a tunnel); its stream validates the
upgrade's signature over that URL, and then plays a script: after the caller's first 200 ms it
sends ``reply_ms`` of audio in one message (faster than real time, as text-to-speech does) and a
mark; ``#`` makes it ``clear``; ``0`` makes it hang up. What it saw is kept for the test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from voicechat.phone.twilio.signature import TEST_AUTH_TOKEN, valid

PUBLIC_HOST = "127.0.0.1"  # the host the agent thinks it is public at: its URLs carry no port


@dataclass
class Seen:
    """What the agent saw of the call."""

    form: dict[str, str] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    mark_sent_at: float | None = None
    mark_echoed_at: float | None = None


@dataclass
class FakeAgent:
    reply_ms: int = 400
    webhook_status: int = 200
    webhook_delay_s: float = 0.0
    twiml: str | None = None
    seen: Seen = field(default_factory=Seen)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/incoming-call", self._incoming)
        app.router.add_get("/media-stream", self._media)
        return app

    async def _incoming(self, request: web.Request) -> web.Response:
        form = await request.post()
        pairs = [(k, str(v)) for k, v in form.items()]
        if not valid(TEST_AUTH_TOKEN, str(request.url), pairs,
                     request.headers.get("X-Twilio-Signature", "")):
            return web.Response(status=403, text="bad signature")
        self.seen.form = dict(pairs)
        if self.webhook_delay_s:
            await asyncio.sleep(self.webhook_delay_s)
        if self.webhook_status != 200:
            return web.Response(status=self.webhook_status, text="it broke")
        body = self.twiml or (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>Hello</Say><Connect>"
            f"<Stream url=\"wss://{PUBLIC_HOST}/media-stream\">"
            "<Parameter name=\"who\" value=\"test\"/></Stream></Connect></Response>")
        return web.Response(text=body, content_type="application/xml")

    async def _media(self, request: web.Request) -> web.StreamResponse:
        if not valid(TEST_AUTH_TOKEN, f"wss://{PUBLIC_HOST}/media-stream", [],
                     request.headers.get("X-Twilio-Signature", "")):
            return web.Response(status=403, text="bad signature")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid, heard_ms, replied = None, 0, False
        async for message in ws:
            data = json.loads(message.data)
            self.seen.messages.append(data)
            kind = data.get("event")
            if kind == "start":
                sid = data["streamSid"]
            elif kind == "media":
                heard_ms += 20
                if heard_ms >= 200 and not replied:
                    replied = True
                    audio = b"\x7f" * (8 * self.reply_ms)  # (a low μ-law level: not silence)
                    await ws.send_json({"event": "media", "streamSid": sid,
                                        "media": {"payload": base64.b64encode(audio).decode()}})
                    await ws.send_json({"event": "mark", "streamSid": sid,
                                        "mark": {"name": "reply"}})
                    self.seen.mark_sent_at = time.monotonic()
            elif kind == "mark":
                self.seen.mark_echoed_at = time.monotonic()
            elif kind == "dtmf" and data["dtmf"]["digit"] == "#":
                await ws.send_json({"event": "clear", "streamSid": sid})
            elif kind == "dtmf" and data["dtmf"]["digit"] == "0":
                await ws.close()
        return ws
