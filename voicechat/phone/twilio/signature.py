"""``X-Twilio-Signature``: how Twilio signs a webhook and a Media Streams upgrade.

The algorithm (reference ``phone.md`` §1.5; Twilio's request-validation docs and its helper
libraries' ``RequestValidator``): the full URL the request went to, query string included,
then each form parameter's name and value with no separator, in the order of the names, then
HMAC-SHA1 with the account's auth token, base64. A name given more than once contributes each
of its distinct values, sorted (as twilio-python's ``compute_signature`` does). The WebSocket
upgrade of a stream is signed the same way over its ``wss://`` URL, with no parameters.

Not hand-rolled against a library that does it better: Twilio's SDK does the same five lines
behind a dependency of its own (aiohttp, PyJWT); the vector in the tests is twilio-python's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

#: The auth token voicechat signs with when ``TWILIO_AUTH_TOKEN`` is unset: an agent under test
#: that validates signatures is started with the same value (decided for issue 75; a real
#: account's token is 32 hex digits, and so is this one, so a format check passes too).
TEST_AUTH_TOKEN = "7e57" * 8


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """The ``X-Twilio-Signature`` of a request to ``url`` carrying the form ``params``."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    signed = url + "".join(name + value for name in sorted(values)
                           for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def valid(auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str) -> bool:
    """Whether ``given`` is the signature of that request (compared in constant time)."""
    return hmac.compare_digest(signature(auth_token, url, params), given)
