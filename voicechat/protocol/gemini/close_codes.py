"""What a Gemini Live close code means, and the fix a user should apply.

Gemini Live has no error event: the service refuses a message by closing the WebSocket with a
code and a short reason (providers.md §2 "errors"; the issues below record real closes). The
doctor explains a close with this table and the local peer closes with these codes.

* 1007 (invalid payload data): the service's ``INVALID_ARGUMENT``. Seen for the legacy
  ``realtime_input.media_chunks`` ("realtime_input.media_chunks is deprecated. Use audio,
  video, or text instead.": sokuji#150, mastra#18287, Google_GenerativeAI#108), after shape
  changes and model switches (js-genai#1189, #1236), and for a resumption that fails (a
  forum report, providers.md §2 "limits").
* 1008 (policy violation): ``FAILED_PRECONDITION``/``PERMISSION_DENIED``: the model does not
  do Live, or does not support a setting; a key or token not allowed here.
* 1011 (internal error): the service's own failure, an exhausted quota, and the end of a
  connection's life ("Deadline expired before operation could complete.", after ``goAway``).

Decided where nobody recorded Google's choice: a second ``setup`` and a first message that is
not ``setup`` close 1007 (an invalid request, like every malformed message), an unusable
credential closes 1008.
"""

from __future__ import annotations

from typing import NamedTuple

NORMAL = 1000
GOING_AWAY = 1001
ABNORMAL = 1006  # never on the wire: the connection dropped with no close frame
INVALID_PAYLOAD = 1007
POLICY_VIOLATION = 1008
INTERNAL_ERROR = 1011

#: the reason Google gives when a connection's time is up (1011)
DEADLINE_EXPIRED = "Deadline expired before operation could complete."


class CloseCode(NamedTuple):
    """One close code: its name, what it means from Gemini Live, what to do."""

    code: int
    name: str
    meaning: str
    fix: str
    #: reconnecting (with the last ``sessionResumptionUpdate`` handle) can help
    retryable: bool


CLOSE_CODES: dict[int, CloseCode] = {
    c.code: c
    for c in (
        CloseCode(NORMAL, "normal closure", "The session ended normally.",
                  "Nothing to fix.", retryable=False),
        CloseCode(GOING_AWAY, "going away", "The server is going away (a restart or a "
                  "rolling update).", "Reconnect, resuming with the last session handle.",
                  retryable=True),
        CloseCode(ABNORMAL, "abnormal closure", "The connection dropped without a close "
                  "frame (network, proxy, or a ping that went unanswered).",
                  "Reconnect with the last session handle; Gemini answers pings slowly "
                  "(8–30 s), so do not use a 20 s ping timeout.", retryable=True),
        CloseCode(INVALID_PAYLOAD, "invalid payload data", "The service refused a message "
                  "as invalid: a field it does not know, a deprecated shape (mediaChunks), a "
                  "message before or a second 'setup', a bad audio mime type, or a session "
                  "handle it cannot resume.",
                  "Read the close reason: it names the field. Send 'setup' once, first; "
                  "stream audio as realtimeInput.audio with mimeType 'audio/pcm;rate=16000' "
                  "(not mediaChunks); after a model switch, drop settings it lacks.",
                  retryable=False),
        CloseCode(POLICY_VIOLATION, "policy violation", "The request is not allowed: the "
                  "model does not support the Live API or one of the settings, or the key or "
                  "ephemeral token is not valid for this endpoint.",
                  "Pick a Live model (…-live-… or …-native-audio-…); use an ephemeral "
                  "token only on the v1alpha BidiGenerateContentConstrained path, before it "
                  "expires, within its constraints.", retryable=False),
        CloseCode(INTERNAL_ERROR, "internal error", "The service failed, the quota ran "
                  "out, or the connection reached the end of its life ('Deadline expired…' "
                  "after goAway).",
                  "Reconnect with setup.sessionResumption.handle set to the last "
                  "sessionResumptionUpdate.newHandle (close the old socket first); on goAway, "
                  "reconnect before timeLeft runs out; if it repeats, check your quota.",
                  retryable=True),
    )
}


def describe(code: int | None) -> CloseCode:
    """The table's entry for ``code``, or one that says the code is not Gemini Live's own."""
    if code is not None and code in CLOSE_CODES:
        return CLOSE_CODES[code]
    shown = "no code" if code is None else str(code)
    return CloseCode(code or 0, f"close {shown}", f"The connection closed with {shown}, a "
                     "code Gemini Live is not known to use.",
                     "Read the close reason; reconnect with the last session handle.",
                     retryable=True)


def is_deadline(code: int | None, reason: str) -> bool:
    """A connection that reached the end of its life (not a failure: resume and go on)."""
    return code == INTERNAL_ERROR and reason.startswith("Deadline expired")
