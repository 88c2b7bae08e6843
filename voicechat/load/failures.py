"""Why a conversation under load failed, as a kind Locust can count.

The kinds (issue 54): ``expectation`` (a turn's ``expect:`` did not hold), ``refused`` (the
connection was refused: auth, a wrong URL, a server at its session limit), ``rate_limit`` (HTTP
429, or the service's rate-limit error), ``timeout`` (no answer, or no connection, in time),
``dropped`` (the session ended under the conversation), ``error`` (anything else). Read from the
runner's own words (:mod:`voicechat.voicetest.run`, the transports' errors), which name them.
"""

from __future__ import annotations

import re

KINDS = ("expectation", "refused", "rate_limit", "timeout", "dropped", "error")

_RATE = ("rate limit", "rate_limit", "too many requests")
_TIMEOUT = ("timed out", "timeout", "within", "did not answer")
_REFUSED = ("refused", "unauthorized", "forbidden", "could not connect", "cannot connect",
            "connection")
#: an HTTP status standing alone, not the digits inside a port (``127.0.0.1:44291``) or an id
#: (``sess_a4290…``): a connection refused on such a port was counted as a rate limit
_STATUS = re.compile(r"(?<![\w:.])(4(?:01|03|04|29))(?!\w)")


def kind_of_error(text: str) -> str:
    """The kind of a conversation that could not start or broke (``RunResult.error``)."""
    low = text.lower()
    statuses = set(_STATUS.findall(low))
    if "429" in statuses or any(word in low for word in _RATE):
        return "rate_limit"
    if any(word in low for word in _TIMEOUT):
        return "timeout"
    if statuses or any(word in low for word in _REFUSED):
        return "refused"
    return "error"


def kind_of_turn(problem: str) -> str:
    """The kind of a turn that could not be run to its end (``TurnResult.problem``)."""
    low = problem.lower()
    if "429" in _STATUS.findall(low) or any(word in low for word in _RATE):
        return "rate_limit"
    if "conversation ended" in low or "connection closed" in low:
        return "dropped"
    if "within" in low:
        return "timeout"
    return "error"
