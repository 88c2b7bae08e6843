"""Why a conversation under load failed, as a kind Locust can count.

The kinds (issue 54): ``expectation`` (a turn's ``expect:`` did not hold), ``refused`` (the
connection was refused: auth, a wrong URL, a server at its session limit), ``rate_limit`` (HTTP
429, or the service's rate-limit error), ``timeout`` (no answer, or no connection, in time),
``dropped`` (the session ended under the conversation), ``error`` (anything else). Read from the
runner's own words (:mod:`voicechat.voicetest.run`, the transports' errors), which name them.
"""

from __future__ import annotations

KINDS = ("expectation", "refused", "rate_limit", "timeout", "dropped", "error")

_RATE = ("429", "rate limit", "rate_limit", "too many requests")
_TIMEOUT = ("timed out", "timeout", "within", "did not answer")
_REFUSED = ("refused", "401", "403", "404", "unauthorized", "forbidden", "could not connect",
            "cannot connect", "connection")


def kind_of_error(text: str) -> str:
    """The kind of a conversation that could not start or broke (``RunResult.error``)."""
    low = text.lower()
    if any(word in low for word in _RATE):
        return "rate_limit"
    if any(word in low for word in _TIMEOUT):
        return "timeout"
    if any(word in low for word in _REFUSED):
        return "refused"
    return "error"


def kind_of_turn(problem: str) -> str:
    """The kind of a turn that could not be run to its end (``TurnResult.problem``)."""
    low = problem.lower()
    if any(word in low for word in _RATE):
        return "rate_limit"
    if "conversation ended" in low or "connection closed" in low:
        return "dropped"
    if "within" in low:
        return "timeout"
    return "error"
