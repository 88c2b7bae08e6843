"""The WebRTC routes: the SDP offer/answer exchange and hang-up.

GA ``POST /v1/realtime/calls`` (raw SDP or multipart ``sdp`` + ``session``; 201 + ``Location``
naming the call), beta ``POST /v1/realtime?model=``, Azure's variants, and
``POST …/calls/{id}/hangup``. A call is kept by the host only once its answer is made, so a bad
offer leaves nothing behind. The handlers depend only on a :class:`CallHost`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from voicechat.protocol.dialect import Dialect
from voicechat.server import sessions
from voicechat.server.auth import credential_from, key_identity
from voicechat.server.host import CallHost
from voicechat.server.http_util import auth_error, error_response, rate_limited
from voicechat.server.minting import session_error
from voicechat.server.nesting import nested_too_deeply, too_deep
from voicechat.server.personalities import is_xai_model

if TYPE_CHECKING:
    from voicechat.server.rtc import RtcCall  # aiortc: loaded for WebRTC only

log = logging.getLogger("voicechat.server")


async def read_offer(request: web.Request) -> tuple[str, dict[str, Any] | None] | web.Response:
    """The SDP offer and the optional ``session`` part, or the 400 to send.

    Every malformed body (bytes that are not UTF-8, a multipart body without its boundary, a
    ``session`` part nested deeper than any real one) is a 400 in OpenAI's shape; only a body
    over the size limit escapes as aiohttp's own 413.
    """
    ctype = request.content_type
    if ctype == "application/sdp":
        return _utf8(await request.read(), "The SDP offer")
    if ctype.startswith("multipart/"):
        try:
            return await _read_multipart(request)
        except web.HTTPException:
            raise
        except Exception as exc:  # aiohttp's multipart reader raises several kinds
            reason = str(exc) or type(exc).__name__
            return error_response(
                400,
                f"Could not read the multipart body ({reason}): send multipart/form-data with "
                "a boundary and 'sdp' (and optionally 'session') parts.",
            )
    return error_response(
        400,
        f"Unsupported content type {ctype!r}: send the SDP offer as 'application/sdp' "
        "(or multipart/form-data with 'sdp' and 'session' parts).",
    )


def _utf8(raw: bytes, what: str, param: str | None = None) -> tuple[str, None] | web.Response:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return error_response(
            400, f"{what} is not valid UTF-8 text (byte {exc.start}).", param=param
        )


async def _read_multipart(
    request: web.Request,
) -> tuple[str, dict[str, Any] | None] | web.Response:
    sdp: str | None = None
    session: dict[str, Any] | None = None
    reader = await request.multipart()
    async for part in reader:
        name = getattr(part, "name", None)
        decoded = _utf8(await part.read(), f"The {name!r} part", name)  # type: ignore[union-attr]
        if isinstance(decoded, web.Response):
            return decoded
        text = decoded[0]
        if name == "sdp":
            sdp = text
        elif name == "session":
            parsed = _session_part(text)
            if isinstance(parsed, web.Response):
                return parsed
            session = parsed
    if sdp is None:
        return error_response(
            400, "Missing required parameter: 'sdp'.", code="missing_required_parameter"
        )
    return sdp, session


def _session_part(text: str) -> dict[str, Any] | web.Response:
    try:
        parsed = json.loads(text)
    except RecursionError:
        parsed = None
        too_deep_part = True
    except ValueError as exc:
        return error_response(
            400, f"The 'session' part is not valid JSON ({exc}).", param="session"
        )
    else:
        too_deep_part = too_deep(parsed)
    if too_deep_part:
        problem = nested_too_deeply("The 'session' part")
        return error_response(400, problem.message, code=problem.code, param="session")
    if not isinstance(parsed, dict):
        return error_response(400, "The 'session' part must be a JSON object.")
    return parsed


class CallRoutes:
    """The WebRTC handlers of one host."""

    def __init__(self, host: CallHost) -> None:
        self._host = host

    def add_to(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/realtime", self.beta_sdp)
        router.add_post("/v1/realtimertc", self.beta_sdp)
        router.add_post("/v1/realtime/calls", self.ga_calls)
        router.add_post("/openai/v1/realtime/calls", self.ga_calls)
        router.add_post("/v1/realtime/calls/{call_id}/hangup", self.hangup)
        router.add_post("/openai/v1/realtime/calls/{call_id}/hangup", self.hangup)

    async def ga_calls(self, request: web.Request) -> web.Response:
        return await self._sdp_exchange(request, Dialect.GA)

    async def beta_sdp(self, request: web.Request) -> web.Response:
        return await self._sdp_exchange(request, Dialect.BETA)

    async def _sdp_exchange(self, request: web.Request, dialect: Dialect) -> web.Response:
        credential = credential_from(request.headers, request.query)
        result = self._host.tokens.check(credential, browser=self._host.is_browser(request.headers))
        if not result.ok:
            return auth_error(result.reason, result.status)
        granted = result.grant.session.get("model") if result.grant is not None else None
        if is_xai_model(request.query.get("model")) or is_xai_model(granted):
            # the xAI personality: xAI has no WebRTC offer endpoint (its "WebRTC agent" is a
            # relay of the app's own); a client must learn it here, not from a dead call
            return error_response(404, "xAI has no WebRTC endpoint: connect a WebSocket to "
                                  "/v1/realtime?model=grok-voice-…", code="not_found")
        owner = result.grant.owner if result.grant is not None else key_identity(credential)
        limits = self._host.call_limits
        refusal = limits.refusal(self._host.live_calls(), owner)
        if refusal is not None:
            log.warning("refused a call from %s: %s", request.remote, refusal)
            return rate_limited(refusal, retry_after_s=limits.connect_timeout_s)
        offer = await read_offer(request)
        if isinstance(offer, web.Response):
            return offer
        sdp, requested = offer
        if "m=" not in sdp:
            return error_response(400, "The body is not an SDP offer (no media sections).")
        azure = request.path.startswith("/openai/") or request.path == "/v1/realtimertc"
        model = request.query.get("model") or self._host.default_model
        if requested is not None:
            problem = session_error(requested, Dialect.GA, azure=azure)
            if problem:
                return problem
            session = sessions.session_from_request(model, requested)
        elif result.grant is not None:
            session = sessions.session_from_request(model, result.grant.session)
        else:
            session = sessions.default_session(model)
        call = self._host.new_call(dialect=dialect, azure=azure, session=session)
        try:
            answer = await call.answer(sdp)
        except Exception as exc:
            await call.close()
            reason = str(exc) or (
                f"it is not a well-formed SDP offer (the parser stopped with {type(exc).__name__})"
            )
            return error_response(400, f"Could not use the SDP offer: {reason}.")
        if result.grant is not None and credential is not None:
            call.token = credential  # that ek_ key may touch this call only
        call.owner = owner
        self._host.add_call(call)
        asyncio.get_running_loop().call_later(limits.connect_timeout_s, _reap_if_pending, call)
        log.info(
            "session %s opened: webrtc %s%s model=%s call=%s peer=%s",
            session.get("id"),
            dialect.value,
            " azure" if azure else "",
            model,
            call.id,
            request.remote,
        )
        location = request.path.rstrip("/")
        if not location.endswith("/calls"):
            location = "/v1/realtime/calls"
        return web.Response(
            status=201,
            text=answer,
            content_type="application/sdp",
            headers={"Location": f"{location}/{call.id}"},
        )

    async def hangup(self, request: web.Request) -> web.Response:
        credential = credential_from(request.headers, request.query)
        result = self._host.tokens.check(credential, browser=self._host.is_browser(request.headers))
        if not result.ok:
            return auth_error(result.reason, result.status)
        call = self._host.find_call(request.match_info["call_id"])
        if call is None or not may_touch(call, credential):
            return error_response(404, "No call with that id.", code="not_found", param="call_id")
        await call.close()
        return web.Response(status=200)


def may_touch(call: RtcCall, credential: str | None) -> bool:
    """An ``ek_`` key reaches only the call it answered; the API key (or, in the keyless demo,
    any non-ephemeral key of a native client) reaches every call."""
    if credential is not None and credential.startswith("ek_"):
        return call.token is not None and hmac.compare_digest(call.token, credential)
    return True


def _reap_if_pending(call: RtcCall) -> None:
    """Hang up a call whose ICE and DTLS never came up (it holds a socket and an engine)."""
    if call.connected or call.closed:
        return
    log.info("call %s never connected: hung up", call.id)
    task = asyncio.ensure_future(call.close())
    _reaping.add(task)  # the loop keeps only a weak reference to a task
    task.add_done_callback(_reaping.discard)


_reaping: set[asyncio.Task[None]] = set()
