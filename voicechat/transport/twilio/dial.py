"""Ring a Twilio-style phone agent: its voice webhook, then its Media Stream's upgrade (I/O).

What Twilio does when a call comes in (reference ``phone.md`` §1.1-1.5), over aiohttp:

* POST the voice webhook a form in Twilio's field names (:func:`webhook_form`), signed with
  ``X-Twilio-Signature`` over the webhook's URL and the form, and read the answer as TwiML
  (:func:`read_twiml`);
* open ``<Connect><Stream url>``'s WebSocket, the upgrade signed over the ``wss://`` URL the
  agent wrote (not the one it is reached at: an agent validates against its public URL).

Every way this goes wrong ends the call with one :class:`PhoneError` that names the URL, what
went wrong and the fix: nothing is retried, since the same request gets the same answer.
Decided: the webhook has :data:`WEBHOOK_TIMEOUT_S` to answer, Twilio's own limit for a voice
webhook (its error 11205 after it), and the stream's upgrade :data:`STREAM_TIMEOUT_S`.
"""

from __future__ import annotations

import asyncio

import aiohttp

from voicechat.phone.twilio.signature import signature
from voicechat.phone.twilio.twiml import MAX_TWIML_BYTES, Stream, Twiml, TwimlError, read_twiml
from voicechat.phone.twilio.webhook import Call, webhook_form

WEBHOOK_TIMEOUT_S = 15.0
STREAM_TIMEOUT_S = 10.0
#: what Twilio's webhook requests say they are (agents that log it, or sniff it, see the same)
USER_AGENT = "TwilioProxy/1.1"


class PhoneError(Exception):
    """The call cannot go on: the message names the URL, what went wrong and the fix."""


async def ring(http: aiohttp.ClientSession, webhook_url: str, call: Call, *, auth_token: str,
               stream_url: str | None = None,
               timeout_s: float = WEBHOOK_TIMEOUT_S) -> Twiml:
    """POST the incoming call to ``webhook_url`` and read the TwiML it answers with.

    ``stream_url``: where the stream is opened whatever the TwiML writes (``--stream-url``)."""
    form = webhook_form(call)
    headers = {"X-Twilio-Signature": signature(auth_token, webhook_url, form),
               "User-Agent": USER_AGENT, "Accept": "*/*"}
    try:
        async with asyncio.timeout(timeout_s):
            async with http.post(webhook_url, data=form, headers=headers,
                                 allow_redirects=False) as response:
                body = await response.content.read(MAX_TWIML_BYTES + 1)
                status, reason = response.status, response.reason or ""
    except TimeoutError:
        raise PhoneError(f"the agent's webhook {webhook_url} did not answer within "
                         f"{timeout_s:g} s (Twilio gives up then, error 11205): is the agent "
                         "busy, or waiting on something before it answers?") from None
    except aiohttp.InvalidURL:
        raise PhoneError(f"{webhook_url!r} is not a webhook URL: give the agent's voice "
                         "webhook as http(s)://host:port/path") from None
    except aiohttp.ClientConnectorError as exc:
        raise PhoneError(f"could not reach the agent's webhook {webhook_url} "
                         f"({exc.os_error.strerror or exc.os_error}): is the agent running and "
                         "listening there?") from None
    except aiohttp.ClientError as exc:
        raise PhoneError(f"the agent's webhook {webhook_url} broke off the request "
                         f"({type(exc).__name__}: {exc})") from None
    if status >= 300:
        raise PhoneError(_refused(webhook_url, status, reason))
    try:
        return read_twiml(body, webhook_url, stream_url=stream_url)
    except TwimlError as exc:
        raise PhoneError(f"the agent's webhook {webhook_url}: {exc}") from None


def _refused(url: str, status: int, reason: str) -> str:
    said = f"the agent's webhook {url} answered HTTP {status} {reason}".rstrip()
    if status in (401, 403):
        return (f"{said}: an agent that checks X-Twilio-Signature must use the auth token "
                "voicechat signs with (TWILIO_AUTH_TOKEN, or the documented test token when "
                "it is unset) and validate against the URL it is called at")
    if 300 <= status < 400:
        return f"{said}: Twilio does not follow a webhook's redirect; give the final URL"
    if status == 404:
        return f"{said}: check the webhook's path (the agent's route for an incoming call)"
    return f"{said} (Twilio's error 11200): see the agent's own log for why"


async def connect(http: aiohttp.ClientSession, stream: Stream, *, auth_token: str,
                  timeout_s: float = STREAM_TIMEOUT_S) -> aiohttp.ClientWebSocketResponse:
    """Open the stream's WebSocket as Twilio does, the upgrade signed over ``stream.signed``."""
    headers = {"X-Twilio-Signature": signature(auth_token, stream.signed or stream.url),
               "User-Agent": USER_AGENT}
    try:
        async with asyncio.timeout(timeout_s):
            return await http.ws_connect(stream.url, headers=headers, autoping=True,
                                         timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
                                         max_msg_size=4 * 1024 * 1024)
    except aiohttp.WSServerHandshakeError as exc:
        hint = (": the agent refused the upgrade's X-Twilio-Signature (it must validate "
                "against the wss:// URL its TwiML wrote)" if exc.status in (401, 403) else "")
        raise PhoneError(f"the agent's stream {stream.url} refused the WebSocket upgrade "
                         f"(HTTP {exc.status}){hint}") from None
    except (TimeoutError, aiohttp.ServerTimeoutError):
        raise PhoneError(f"the agent's stream {stream.url} did not accept the WebSocket "
                         f"within {timeout_s:g} s") from None
    except aiohttp.ClientConnectorError as exc:
        raise PhoneError(f"could not reach the agent's stream {stream.url} "
                         f"({exc.os_error.strerror or exc.os_error}): the TwiML's "
                         "<Stream url> must be where the agent listens (set it outright with "
                         "--stream-url)") from None
    except aiohttp.ClientError as exc:
        raise PhoneError(f"the agent's stream {stream.url} failed to open "
                         f"({type(exc).__name__}: {exc})") from None
