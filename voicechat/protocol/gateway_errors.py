"""Gateway refusals in plain words: the gateway's own message, what it means, and the fix.

Many users reach OpenAI through an OpenAI-compatible gateway (new-api, one-api, LiteLLM). Their
refusals come as HTTP JSON before the WebSocket upgrade, or as one ``error`` event after it, often
in Chinese (``当前分组 default 下对于模型 gpt-realtime 无可用渠道``: "no channel for model
gpt-realtime in group default"). The bare status ("HTTP 503") says nothing; the gateway's
message says what is wrong, so it is shown as it is (UTF-8) and explained in English.

Some refusals will not change on a retry (a retired API, a bad key, no channel, quota used up,
a blocked region): :func:`lasting` says which, so the client ends the run with the reason instead
of reconnecting in a loop. Sans-IO and shared with the doctor: text in, words out. Facts and
sources: ``shared/reference/gateways.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

#: OpenAI retired the beta Realtime API (``OpenAI-Beta: realtime=v1``) on this date.
BETA_RETIRED_ON = "2026-05-12"
ONE_API_HEADER = "X-Oneapi-Request-Id"


class Meaning(NamedTuple):
    """What a refusal means (``what``), what to do (``fix``), and whether a retry can help."""

    what: str
    fix: str
    lasting: bool = True


#: (markers, meaning): the first whose marker is in the message or code (case-insensitive)
_MEANINGS: tuple[tuple[tuple[str, ...], Meaning], ...] = (
    (("beta_api_shape_disabled", "realtime beta api is no longer supported"),
     Meaning("OpenAI no longer serves the beta Realtime API (retired " + BETA_RETIRED_ON + ")",
             "use the GA API (--dialect ga, the default) on a route that does not add the "
             "beta header")),
    (("unsupported_country_region_territory", "country, region, or territory not supported"),
     Meaning("region blocked: OpenAI refuses the country the request comes from (the "
             "gateway's outgoing IP, or yours)",
             "the gateway's operator must reach OpenAI from a supported region")),
    (("无可用渠道", "no available channel", "get_channel_failed"),
     Meaning("no channel for this model: the gateway has no upstream account serving it for "
             "your group",
             "ask the gateway's operator to add a channel for the model, or pick one it serves "
             "with --model")),
    (("令牌已过期", "token expired", "token has expired", "key has expired"),
     Meaning("the token has expired", "renew the gateway token (OPENAI_API_KEY)")),
    (("无效的令牌", "未提供令牌", "invalid token", "invalid_api_key", "incorrect api key",
      "invalid or expired token"),
     Meaning("invalid token: the gateway does not know this key",
             "set OPENAI_API_KEY to a token of this gateway")),
    (("额度已用尽", "额度不足", "insufficient_user_quota", "quota"),
     Meaning("quota used up: the token or account has no credit left",
             "top up the token or account at the gateway")),
    (("ip 不在", "ip not allowed", "not in the allowed ip", "ip 不在令牌允许"),
     Meaning("IP not allowed: your address is not on the token's allow list",
             "add your IP to the token's allow list at the gateway")),
    (("无权访问模型", "not allowed to use model"),
     Meaning("this token may not use the model", "use a token allowed the model, or another "
             "--model")),
    (("已被封禁", "banned"),
     Meaning("the gateway account is banned", "contact the gateway's operator")),
    (("上游负载已饱和", "saturated"),
     Meaning("the gateway's upstream is saturated", "try again later", lasting=False)),
    (("do_request_failed", "dial failed", "bad handshake", "connection refused",
      "upstream connect failed", "upstream unreachable"),
     Meaning("upstream unreachable: the gateway could not reach OpenAI (or Azure)",
             "try again later, or tell the gateway's operator", lasting=False)),
)


def meaning(text: str) -> Meaning | None:
    """The meaning of a gateway or OpenAI message or code, if it is one we know."""
    low = text.lower()
    for markers, found in _MEANINGS:
        if any(marker.lower() in low for marker in markers):
            return found
    return None


def family(headers: Mapping[str, str] | None, body: Any = None) -> str | None:
    """The gateway family the response names (its header, its error type), if any."""
    error = body.get("error") if isinstance(body, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    if kind == "new_api_error":
        return "new-api"
    if kind == "one_api_error":
        return "one-api"
    if headers is not None and any(k.lower() == ONE_API_HEADER.lower() for k in headers):
        return "new-api/one-api"
    if isinstance(body, dict) and set(body) == {"detail"}:
        return "LiteLLM"
    return None


def body_message(body: Any, text: str) -> str:
    """The message in an error body (OpenAI/one-api ``error.message``, LiteLLM ``detail``)."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(body.get("detail"), str):
            return str(body["detail"])
    return text.strip()[:300] or "(empty body)"


def parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


class Refusal(NamedTuple):
    """A refusal said in full: the message, the fix, and whether a retry can help."""

    message: str
    fix: str
    lasting: bool


def handshake_refusal(status: int, headers: Mapping[str, str] | None, text: str,
                      where: str) -> Refusal:
    """A refused WebSocket handshake (``where``: the URL) in plain words."""
    body = parse(text)
    said = body_message(body, text)
    found = meaning(said) or meaning(text)
    name = family(headers, body)
    by = f"the {name} gateway" if name else "the server"
    message = f"{by} refused the connection (HTTP {status} from {where}): “{said}”"
    if found is None:
        fix = "check --server, the model name and the key"
        return Refusal(message, fix, lasting=status not in (429, 500, 502, 503, 504))
    return Refusal(f"{message} — {found.what}", found.fix, found.lasting)


def error_event_refusal(error: Mapping[str, Any], *, dialect: str,
                        gateway: str | None) -> Refusal | None:
    """A server ``error`` event that will not change on retry, in plain words; ``None`` for
    the errors a conversation goes on after."""
    code = str(error.get("code") or "")
    said = str(error.get("message") or "")
    if code == "session_expired":  # the 60-minute cap: a new session is the answer
        return None
    found = meaning(code) or meaning(said)
    if found is None or not found.lasting:
        return None
    if code == "beta_api_shape_disabled" or "beta api" in said.lower():
        return beta_refusal(said, dialect=dialect, gateway=gateway)
    by = f" (through the {gateway} gateway)" if gateway else ""
    return Refusal(f"the server refused the session{by}: {code or 'error'}: “{said}” — "
                   f"{found.what}", found.fix, True)


def beta_refusal(said: str, *, dialect: str, gateway: str | None) -> Refusal:
    """OpenAI's ``beta_api_shape_disabled``: who sent the beta header, and what to do."""
    head = (f"OpenAI refused the retired beta Realtime API (beta_api_shape_disabled: “{said}”; "
            f"retired {BETA_RETIRED_ON})")
    if dialect == "beta":
        return Refusal(f"{head}: voicechat was asked for --dialect beta",
                       "use --dialect ga (the default)", True)
    via = (f"this gateway is {gateway} (its {ONE_API_HEADER} header says so), and new-api "
           "sends that header for every client" if gateway and "new-api" in gateway
           else "a gateway such as new-api does so for every client")
    return Refusal(
        f"{head}: voicechat spoke GA, so something between you and OpenAI sends the beta header "
        f"(OpenAI-Beta: realtime=v1); {via}",
        "ask the gateway's operator to stop forcing the beta header (new-api: a version that "
        "relays GA), or use a route that relays GA (LiteLLM, or OpenAI directly with "
        "--server openai); retrying will not help", True)
