"""Rules for refusals a retry will not change, most often from a gateway (issue 37):
``retired-beta`` and ``gateway-refusal``.

Many users reach OpenAI through an OpenAI-compatible gateway (new-api, one-api, LiteLLM). new-api
forces the beta header upstream, and OpenAI retired the beta API, so every session through it
now ends with ``beta_api_shape_disabled``; gateways also refuse in their own words, often in
Chinese (no channel, quota used up, invalid token, a blocked region). A client that reconnects
after such an error only meets it again. The words are :mod:`voicechat.protocol.gateway_errors`,
shared with the client.
"""

from __future__ import annotations

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import ERRORS, Rule, error_of
from voicechat.eventlog.entry import Entry
from voicechat.protocol.gateway_errors import beta_refusal, error_event_refusal


def _is_beta_refusal(error: dict[str, object]) -> bool:
    return (error.get("code") == "beta_api_shape_disabled"
            or "realtime beta api is no longer supported" in str(error.get("message")).lower())


class RetiredBeta(Rule):
    id = "retired-beta"
    title = "OpenAI refused the retired beta Realtime API (beta_api_shape_disabled)"
    feeds_on = ERRORS

    def feed(self, entry: Entry, ctx: Context) -> None:
        error = error_of(entry)
        if error is None or not _is_beta_refusal(error):
            return
        said = beta_refusal(str(error.get("message") or ""), dialect=ctx.dialect_name,
                            gateway=None)
        self.add(entry, said.message)

    def fix(self, ctx: Context) -> str:
        if ctx.dialect_name == "beta":
            return ("Speak the GA API (voicechat: --dialect ga, the default); OpenAI retired the "
                    "beta on 2026-05-12 and refuses the OpenAI-Beta: realtime=v1 header.")
        return ("The client spoke GA, so something between it and OpenAI sent the beta header "
                "(OpenAI-Beta: realtime=v1): new-api does so for every client (its responses "
                "carry X-Oneapi-Request-Id). Ask the gateway's operator to relay GA, or use a "
                "route that does (LiteLLM, or OpenAI directly). The close that follows (1006 "
                "through new-api) is not a network fault, and reconnecting will not help.")


class GatewayRefusal(Rule):
    id = "gateway-refusal"
    title = "The server or gateway refused the session for good (key, channel, quota, region)"
    feeds_on = ERRORS

    def __init__(self) -> None:
        super().__init__()
        self.fixes: list[str] = []

    def feed(self, entry: Entry, ctx: Context) -> None:
        error = error_of(entry)
        if error is None or _is_beta_refusal(error):
            return
        said = error_event_refusal(error, dialect=ctx.dialect_name, gateway=None)
        if said is None:
            return
        self.add(entry, said.message)
        if said.fix not in self.fixes:
            self.fixes.append(said.fix)

    def fix(self, ctx: Context) -> str:
        return ("; ".join(self.fixes) + ". A retry meets the same refusal: end the session "
                "with the reason instead of reconnecting.")
