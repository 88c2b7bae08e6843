"""The voice webhook's form: what Twilio POSTs when a call comes in (reference ``phone.md``
§1.1, Twilio's "TwiML request" docs).

The fields an agent reads: ``CallSid`` and ``AccountSid`` (``CA``/``AC`` and 32 hex digits),
``From`` and ``To``, ``CallStatus`` (``ringing`` for a new call), ``Direction`` (``inbound``),
``ApiVersion`` (``2010-04-01``) and the legacy ``Caller`` and ``Called``. The geographic fields
(``FromCity``…) Twilio adds when it knows them are left out: no caller of ours is anywhere.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

#: Numbers from the range set aside for fiction (555-0100 to 555-0199): no one's real line
DEFAULT_FROM = "+12025550143"
DEFAULT_TO = "+12025550187"
API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    """A Twilio resource id: its two-letter prefix and 32 lower-case hex digits."""
    return prefix + secrets.token_hex(16)


@dataclass(frozen=True)
class Call:
    """One call as the agent sees it: its ids and numbers."""

    call_sid: str
    account_sid: str
    from_number: str = DEFAULT_FROM
    to_number: str = DEFAULT_TO

    @classmethod
    def new(cls, from_number: str = DEFAULT_FROM, to_number: str = DEFAULT_TO,
            account_sid: str | None = None) -> Call:
        return cls(new_sid("CA"), account_sid or new_sid("AC"), from_number, to_number)


def webhook_form(call: Call) -> list[tuple[str, str]]:
    """The form of the incoming call's webhook request, in Twilio's field names."""
    return [
        ("AccountSid", call.account_sid),
        ("ApiVersion", API_VERSION),
        ("CallSid", call.call_sid),
        ("CallStatus", "ringing"),
        ("Called", call.to_number),
        ("Caller", call.from_number),
        ("Direction", "inbound"),
        ("From", call.from_number),
        ("To", call.to_number),
    ]
