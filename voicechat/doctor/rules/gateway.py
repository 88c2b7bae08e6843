"""Rules for refusals a retry will not change, most often from a gateway (issue 37):
``retired-beta``, ``gateway-refusal`` and ``silent-close``.

Many users reach OpenAI through an OpenAI-compatible gateway (new-api, one-api, LiteLLM). new-api
forces the beta header upstream, and OpenAI retired the beta API, so every session through it
now ends with ``beta_api_shape_disabled``; gateways also refuse in their own words, often in
Chinese (no channel, quota used up, invalid token, a blocked region). A client that reconnects
after such an error only meets it again. The words are :mod:`voicechat.protocol.gateway_errors`,
shared with the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import ERRORS, Rule, error_of
from voicechat.eventlog.entry import Entry
from voicechat.protocol.gateway_errors import beta_refusal, error_event_refusal, meaning

_LOST = frozenset({"closed", "failed"})
#: A drop this soon after the server's last event is "right after" it.
RIGHT_AFTER_S = 2.0


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
    feeds_on = ERRORS | {"local.connect.refused"}

    def __init__(self) -> None:
        super().__init__()
        self.fixes: list[str] = []

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.type == "local.connect.refused":  # voicechat's own log: a refused handshake
            message, fix = entry.canonical.get("message"), entry.canonical.get("fix")
            if isinstance(message, str) and meaning(message) is not None:
                self.add(entry, message)
                if isinstance(fix, str) and fix not in self.fixes:
                    self.fixes.append(fix)
            return
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


class SilentClose(Rule):
    """A close with no close frame (1006) right after the server's ``response.done`` or its
    ``error``: a gateway ending the session (new-api bills each response.done and drops the
    socket when that fails; it drops it after relaying an error too, close codes never pass
    through). Not a network fault. Errors the two rules above explain are left to them."""

    id = "silent-close"
    title = "The socket dropped (1006) right after the server's response.done or error"
    feeds_on = frozenset({"local.transport.state", "error", "response.done"})
    reads: ClassVar[Mapping[str, frozenset[str]]] = {"response.done": frozenset()}

    def __init__(self) -> None:
        super().__init__()
        self.explained_error = False
        self.after: set[str] = set()
        self.last: tuple[str, int] | None = None  # the latest response.done or error, its index

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir == "in" and entry.type in ("response.done", "error"):
            self.last = (entry.type, entry.index)
        error = error_of(entry)
        if error is not None:
            found = meaning(str(error.get("code") or "")) or meaning(str(error.get("message")))
            self.explained_error = found is not None and found.lasting
            return
        if entry.type != "local.transport.state" or entry.canonical.get("state") not in _LOST:
            return
        if "1006" not in str(entry.canonical.get("detail") or ""):
            return
        last = ctx.last_in
        kind = last.type if last is not None else None
        if (kind == "rate_limits.updated" and last is not None and self.last is not None
                and last.index - self.last[1] == 1):
            kind = self.last[0]  # OpenAI sends rate_limits.updated right after response.done
        gap = (entry.t - last.t) if last is not None and entry.t is not None \
            and last.t is not None else None
        if gap is None or gap > RIGHT_AFTER_S:
            return  # a server quiet for long is server-silent's case, not a gateway's drop
        if kind == "response.done" or (kind == "error" and not self.explained_error):
            self.after.add(str(kind))
            self.add(entry, f"closed with 1006 (no close frame) right after {kind}")

    def fix(self, ctx: Context) -> str:
        parts = []
        if "response.done" in self.after:
            parts.append("A silent close right after response.done is most often a gateway "
                         "(new-api, one-api) billing the turn and failing: check the token's "
                         "quota and the gateway's logs for that request id")
        if "error" in self.after:
            parts.append("The server closed right after its error event: that error is the "
                         "reason (a gateway drops the socket after relaying it, so the close "
                         "code is lost)")
        return "; ".join(parts) + ". Not a network fault: reconnecting may meet it again."
