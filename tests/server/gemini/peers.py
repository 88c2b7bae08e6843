"""Test peers for the local server's Gemini Live side: a raw WebSocket client that records
every frame (and the close), a TLS pair the official SDK can trust, and the SDK's own client
pointed at the loopback server.

Why TLS: google-genai's live client connects only with ``wss://``. Its ``connect`` builds the
URL from ``_websocket_base_url()``, which replaces the base URL's scheme with ``wss``
(``_api_client.py``: ``urlparse(base_url)._replace(scheme='wss')``), and it always passes an SSL
context to ``websockets.connect``, which refuses one for a ``ws://`` URL. So the SDK's tests run
the local server with a self-signed certificate for 127.0.0.1 (``ServerConfig.tls``) and give
the SDK the matching trust through its documented ``HttpOptions``: ``base_url`` (the
loopback's ``https://`` URL) and ``async_client_args={"ssl": context}`` (used for the
WebSocket and for REST calls such as ``auth_tokens.create``). Nothing else is patched.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import numpy as np
from google import genai
from google.genai import types
from pydantic import ValidationError

from tests.helpers import EventLog
from tests.server.sdk_models import _undeclared
from tests.speech import speech_pcm
from voicechat.protocol.gemini import client_messages, names

KEY = "test-key"
PIECES = (names.INPUT_TRANSCRIPTION, names.MODEL_TURN, names.OUTPUT_TRANSCRIPTION,
          names.INTERRUPTED, names.GENERATION_COMPLETE, names.TURN_COMPLETE)


def kind_of(frame: Mapping[str, Any]) -> str:
    """A frame's kind for the log: its message key, and for ``serverContent`` its first piece
    (``serverContent.turnComplete``)."""
    key = next(iter(frame), "")
    if key == names.SERVER_CONTENT:
        body = frame[key]
        piece = next((p for p in PIECES if p in body), "?")
        return f"{key}.{piece}"
    return key


def sdk_problems(frame: Mapping[str, Any]) -> list[str]:
    """What the SDK's ``LiveServerMessage`` does not accept or declare in ``frame``."""
    try:
        model = types.LiveServerMessage.model_validate(frame)
    except ValidationError as exc:
        return [str(exc)]
    found: list[str] = []
    _undeclared(model, frame, "", found)
    return found


class GeminiPeer:
    """A raw WebSocket client: every frame into ``log`` (as ``{"type": kind, "frame": …}``),
    each checked against the SDK's types; the close code and reason kept."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.log = EventLog()
        self.problems: list[str] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            msg = await self.ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                frame = json.loads(msg.data)
                self.problems += sdk_problems(frame)
                self.log.add({"type": kind_of(frame), "frame": frame})
            elif msg.type == aiohttp.WSMsgType.CLOSE:
                self.close_code, self.close_reason = msg.data, msg.extra or ""
                break
            else:
                self.close_code = self.close_code or self.ws.close_code
                break
        self.closed.set()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def stream(self, pcm16k: np.ndarray, chunk_ms: int = 100, speedup: float = 4.0) -> None:
        """Mic audio as ``realtimeInput.audio`` at 16 kHz, ``speedup`` × real time."""
        step = 16 * chunk_ms
        for i in range(0, pcm16k.size, step):
            chunk = pcm16k[i: i + step].astype("<i2").tobytes()
            if self.closed.is_set():
                return
            await self.send(client_messages.audio(base64.b64encode(chunk).decode()))
            await asyncio.sleep(chunk_ms / 1000 / speedup)

    def text(self, piece: str) -> str:
        """A transcription's fragments, concatenated."""
        return "".join(e["frame"][names.SERVER_CONTENT][piece].get("text", "")
                       for e in self.log.of(f"{names.SERVER_CONTENT}.{piece}"))

    def frames(self, key: str) -> list[dict[str, Any]]:
        return [e["frame"][key] for e in self.log.events if key in e["frame"]]

    async def wait_closed(self, timeout: float = 40.0) -> tuple[int | None, str]:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code, self.close_reason

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


class Served(Protocol):
    """A server under test: the in-process one or ``voicechat serve`` as a process."""

    @property
    def base_url(self) -> str: ...


@asynccontextmanager
async def gemini_ws(srv: Served, path: str = names.PATH, query: str = f"?key={KEY}",
                    headers: dict[str, str] | None = None) -> AsyncIterator[GeminiPeer]:
    url = srv.base_url.replace("http", "ws", 1) + path + query
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url, headers=headers or {}, max_msg_size=0)
        peer = GeminiPeer(ws)
        try:
            yield peer
        finally:
            await peer.close()


def spoken16k(text: str, lead_s: float = 0.3, tail_s: float = 1.2) -> np.ndarray:
    """A phrase at 16 kHz with silence before and after (the mic streams silence too)."""
    rate = names.INPUT_RATE
    return np.concatenate([np.zeros(int(lead_s * rate), np.int16), speech_pcm(text, rate),
                           np.zeros(int(tail_s * rate), np.int16)])


# --- TLS for the SDK ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TlsPair:
    server: ssl.SSLContext
    client: ssl.SSLContext
    #: the PEM files, for ``voicechat serve --tls-cert/--tls-key``
    cert_file: Path
    key_file: Path


def make_tls_pair(tmp: Path) -> TlsPair:
    """A self-signed certificate for 127.0.0.1 and the contexts that serve and trust it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "voicechat test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return TlsPair(server, client, cert_file, key_file)


def sdk_client(srv: Served, tls: TlsPair, api_key: str = KEY,
               api_version: str | None = None) -> genai.Client:
    """The official client aimed at the loopback server through its documented options."""
    options = types.HttpOptions(base_url=srv.base_url, api_version=api_version,
                                async_client_args={"ssl": tls.client})
    return genai.Client(api_key=api_key, http_options=options)
