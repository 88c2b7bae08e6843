"""TwiML as Twilio reads it: the steps of a call from the agent's webhook answer (issue 75).

The verbs a realtime phone agent answers with (reference ``phone.md`` §1.1; Twilio's TwiML
docs): ``<Say>`` spoken into the call, ``<Pause length>``, ``<Connect><Stream url>`` that opens
the bidirectional media stream (each nested ``<Parameter name value>`` goes to the stream's
``start.customParameters``), ``<Hangup>`` and ``<Reject>``. Twilio runs no TwiML after a
``<Connect>`` until the stream closes, and none after ``<Hangup>`` or ``<Reject>``: what follows
them is never a step. Any other verb (``<Play>``, ``<Gather>``, ``<Dial>``, ``<Start>``'s
one-way fork…) is named once in :attr:`Twiml.skipped` and skipped.

The stream's URL, decided here and said where the user reads it (the how-to):

* a relative URL resolves against the webhook's, as Twilio resolves it;
* a URL on the webhook's own host reaches the webhook's own port and scheme (``ws`` for an
  ``http`` webhook, ``wss`` for ``https``). Agents build it from their public host name
  (``wss://{host}/media-stream``), and behind a tunnel there is no port in it, so read
  literally it would reach port 443 of a machine that has nothing there;
* ``stream_url`` given outright (the ``--stream-url`` of the faces) replaces what the TwiML
  says;
* a query string is refused as Twilio refuses it (error 31920), with the fix: pass values as
  ``<Parameter>``;
* another host is taken as written, but only over ``wss`` (Twilio's error 31922).

Bad input is a :class:`TwimlError` whose message names the problem and the fix: an empty
answer, a document that is not XML, a root other than ``<Response>``, a ``<Stream>`` without
a ``url``, a ``<Pause>`` whose ``length`` is not a number of seconds. Read with the standard
library's expat, which refuses external entities and bounds entity expansion; the answer is cut
at :data:`MAX_TWIML_BYTES` first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

#: The longest answer read. Decided: Twilio documents no limit for a voice webhook's TwiML that
#: we found; a real agent's answer is a few hundred bytes, and 64 kB bounds a runaway one.
MAX_TWIML_BYTES = 64 * 1024
#: The longest ``<Pause>`` taken, in seconds. Decided: a longer one is a typo that would hold
#: the call for minutes; Twilio takes a length in whole seconds, and agents pause for 1-5.
MAX_PAUSE_S = 600.0
#: ``<Say loop="0">`` repeats until the call ends on Twilio; here it is said this many times
SAY_LOOP_FOREVER = 10


class TwimlError(ValueError):
    """The agent's answer cannot be run as a call; the message names the problem and the fix."""


@dataclass(frozen=True)
class Say:
    text: str
    voice: str | None = None
    language: str | None = None
    loop: int = 1


@dataclass(frozen=True)
class Pause:
    seconds: float = 1.0


@dataclass(frozen=True)
class Stream:
    """``<Connect><Stream>``: where the media stream goes, and its custom parameters."""

    url: str
    name: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    #: the URL Twilio signs the upgrade over: the one the agent wrote, made absolute (an agent
    #: validates against its public wss:// URL, not the port it is reached at here)
    signed: str = ""


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str = "rejected"


Step = Say | Pause | Stream | Hangup | Reject


@dataclass(frozen=True)
class Twiml:
    """The call's steps in order, and the verbs skipped (each named once, in order)."""

    steps: tuple[Step, ...]
    skipped: tuple[str, ...] = field(default=())


def read_twiml(body: str | bytes, webhook_url: str, *, stream_url: str | None = None) -> Twiml:
    """The steps of ``body``, the answer of the webhook at ``webhook_url``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_TWIML_BYTES:
        raise TwimlError(f"the webhook answered with {len(raw):,} bytes; voicechat reads TwiML "
                         f"of up to {MAX_TWIML_BYTES // 1024} kB (a <Response> of a few verbs)")
    if not raw.strip():
        raise TwimlError("the webhook answered with an empty body, not TwiML; it must answer "
                         "<Response>…</Response> (e.g. <Connect><Stream url=\"wss://…\"/>"
                         "</Connect>)")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise TwimlError(f"the webhook's answer is not XML ({exc}); it must answer TwiML, "
                         "<Response>…</Response>") from None
    if _name(root) != "Response":
        raise TwimlError(f"the webhook's answer is <{_name(root)}>, not TwiML: Twilio expects "
                         "the root element <Response>")
    steps: list[Step] = []
    skipped: list[str] = []
    for verb in root:
        name = _name(verb)
        step = _step(verb, name, webhook_url, stream_url, skipped)
        if step is None:
            continue
        steps.append(step)
        if isinstance(step, Stream | Hangup | Reject):
            break  # Twilio runs nothing after these while the call lasts
    return Twiml(tuple(steps), tuple(skipped))


def _step(verb: ET.Element, name: str, webhook_url: str, stream_url: str | None,
          skipped: list[str]) -> Step | None:
    if name == "Say":
        return Say(" ".join((verb.text or "").split()), verb.get("voice"), verb.get("language"),
                   _loop(verb.get("loop")))
    if name == "Pause":
        return Pause(_seconds(verb.get("length")))
    if name == "Hangup":
        return Hangup()
    if name == "Reject":
        return Reject(verb.get("reason") or "rejected")
    if name == "Connect":
        streams = [child for child in verb if _name(child) == "Stream"]
        for child in verb:
            if _name(child) != "Stream":
                _skip(skipped, f"Connect/{_name(child)}")
        if not streams:
            _skip(skipped, "Connect")
            return None
        return _stream(streams[0], webhook_url, stream_url)
    _skip(skipped, name)
    return None


def _stream(element: ET.Element, webhook_url: str, given: str | None) -> Stream:
    parameters = tuple((p.get("name") or "", p.get("value") or "") for p in element
                       if _name(p) == "Parameter" and p.get("name"))
    if given is not None:
        return Stream(given, element.get("name"), parameters, signed=given)
    written = (element.get("url") or "").strip()
    if not written:
        raise TwimlError("<Stream> has no url: the agent must say where the media stream "
                         "goes, e.g. <Stream url=\"wss://your-host/media-stream\"/>")
    target = stream_target(written, webhook_url)
    return Stream(target, element.get("name"), parameters,
                  signed=urlunsplit(_socket_scheme(urlsplit(urljoin(webhook_url, written)))))


def stream_target(written: str, webhook_url: str) -> str:
    """Where a ``<Stream url>`` written as ``written`` is opened (see the module docstring)."""
    try:
        url = urlsplit(urljoin(webhook_url, written))
        hook = urlsplit(webhook_url)
        url.port  # noqa: B018  (a port out of range or not a number raises here)
    except ValueError as exc:
        raise TwimlError(f"<Stream url=\"{written[:200]}\"> is not a URL ({exc}); write it as "
                         "wss://host/path") from None
    if not url.hostname:
        raise TwimlError(f"<Stream url=\"{written[:200]}\"> names no host; write it as "
                         "wss://host/path")
    if url.query:
        raise TwimlError(f"<Stream url=\"{written[:200]}\"> carries a query string, which Twilio "
                         "refuses (error 31920: the stream's handshake fails); pass each value "
                         "as <Parameter name=\"…\" value=\"…\"/> inside <Stream>, and read it "
                         "from the start message's customParameters")
    url = _socket_scheme(url)  # a relative URL joined to the webhook's is http(s)
    if url.scheme not in ("ws", "wss"):
        raise TwimlError(f"<Stream url=\"{written[:200]}\"> is not a WebSocket URL: Twilio opens "
                         "streams over wss:// only (error 31922)")
    if url.hostname and hook.hostname and url.hostname.lower() == hook.hostname.lower():
        scheme = "wss" if hook.scheme == "https" else "ws"
        return urlunsplit((scheme, hook.netloc, url.path or "/", "", ""))
    if url.scheme != "wss":
        raise TwimlError(f"<Stream url=\"{written[:200]}\"> is not wss://: Twilio opens streams "
                         "over wss:// only (error 31922); a ws:// URL works here only on the "
                         "webhook's own host")
    return urlunsplit((url.scheme, url.netloc, url.path or "/", "", ""))


def _socket_scheme(url: SplitResult) -> SplitResult:
    """``url`` with http(s) made ws(s): where a relative stream URL joined to the webhook's."""
    if url.scheme in ("http", "https"):
        return url._replace(scheme="ws" if url.scheme == "http" else "wss")
    return url


def _name(element: ET.Element) -> str:
    """The element's name without a namespace (TwiML has none; a stray one is not fatal)."""
    tag = element.tag if isinstance(element.tag, str) else "?"
    return tag.rsplit("}", 1)[-1]


def _skip(skipped: list[str], verb: str) -> None:
    if verb not in skipped:
        skipped.append(verb)


def _seconds(text: str | None) -> float:
    if text is None:
        return 1.0
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0.0 <= seconds <= MAX_PAUSE_S:  # (also NaN)
        raise TwimlError(f"<Pause length=\"{text[:20]}\"> is not a number of seconds from 0 "
                         f"to {MAX_PAUSE_S:.0f}; Twilio takes whole seconds, e.g. length=\"2\"")
    return seconds


def _loop(text: str | None) -> int:
    if text is None:
        return 1
    try:
        loop = int(text)
    except ValueError:
        raise TwimlError(f"<Say loop=\"{text[:20]}\"> is not a whole number; Twilio takes "
                         "loop=\"1\" (once), \"2\"… or \"0\" (until the call ends)") from None
    if loop < 0:
        raise TwimlError(f"<Say loop=\"{loop}\"> is below 0; Twilio takes loop=\"0\" or more")
    return SAY_LOOP_FOREVER if loop == 0 else min(loop, SAY_LOOP_FOREVER)
