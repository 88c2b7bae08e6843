"""Twilio's side of a call, sans-IO (issue 75): the signature against twilio-python's own
vector, the webhook's form, and TwiML read as Twilio reads it, bad answers named with the fix."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.phone.twilio.signature import TEST_AUTH_TOKEN, signature, valid
from voicechat.phone.twilio.twiml import (
    SAY_LOOP_FOREVER,
    Hangup,
    Pause,
    Reject,
    Say,
    Stream,
    TwimlError,
    read_twiml,
    stream_target,
)
from voicechat.phone.twilio.webhook import Call, webhook_form

HOOK = "http://127.0.0.1:5050/incoming-call"
#: twilio-python's RequestValidator test vector (tests/unit/test_request_validator.py)
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"),
                 ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212")]


def test_the_signature_is_twilios_on_its_own_vector() -> None:
    assert signature("12345", VECTOR_URL, VECTOR_PARAMS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert signature("12345", VECTOR_URL, reversed(VECTOR_PARAMS)) == \
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert valid("12345", VECTOR_URL, VECTOR_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    tampered = [(k, "9999" if k == "Digits" else v) for k, v in VECTOR_PARAMS]
    assert not valid("12345", VECTOR_URL, tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not valid("54321", VECTOR_URL, VECTOR_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_a_repeated_field_signs_each_distinct_value_once_in_order() -> None:
    url = "https://example.com/hook"
    assert signature("t", url, [("x", "2"), ("x", "1"), ("x", "1")]) == \
        signature("t", url, [("x", "1"), ("x", "2")])
    assert signature("t", url, [("x", "1")]) != signature("t", url, [("x", "1"), ("x", "2")])


def test_the_test_token_looks_like_an_account_s() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", TEST_AUTH_TOKEN)


def test_the_webhook_form_has_twilio_s_fields_and_ids() -> None:
    call = Call.new()
    form = dict(webhook_form(call))
    assert re.fullmatch(r"CA[0-9a-f]{32}", form["CallSid"])
    assert re.fullmatch(r"AC[0-9a-f]{32}", form["AccountSid"])
    assert form["CallStatus"] == "ringing" and form["Direction"] == "inbound"
    assert form["ApiVersion"] == "2010-04-01"
    assert form["Caller"] == form["From"] == call.from_number
    assert form["Called"] == form["To"] == call.to_number
    assert Call.new().call_sid != call.call_sid


def test_the_usual_agent_answer_reads_as_its_steps() -> None:
    """The OpenAI/Twilio sample's answer: a greeting, a pause, the stream on its own host."""
    twiml = read_twiml(
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Say voice="Google.en-US-Chirp3-HD-Aoede">Please wait while we connect\n  your call'
        '</Say><Pause length="1"/><Say>O.K. you can start talking!</Say>'
        '<Connect><Stream url="wss://127.0.0.1/media-stream">'
        '<Parameter name="caller" value="+12025550143"/><Parameter name="lang" value="en"/>'
        '</Stream></Connect><Say>never said</Say></Response>', HOOK)
    assert twiml.steps == (
        Say("Please wait while we connect your call", "Google.en-US-Chirp3-HD-Aoede"),
        Pause(1.0), Say("O.K. you can start talking!"),
        Stream("ws://127.0.0.1:5050/media-stream", None,
               (("caller", "+12025550143"), ("lang", "en")),
               # the upgrade is signed over the URL the agent wrote, its public one
               signed="wss://127.0.0.1/media-stream"))
    assert twiml.skipped == ()


@pytest.mark.parametrize(("written", "hook", "target"), [
    # the agent's public host with no port, as behind a tunnel: the webhook's port and scheme
    ("wss://127.0.0.1/media-stream", HOOK, "ws://127.0.0.1:5050/media-stream"),
    ("wss://LOCALHOST/ms", "http://localhost:8080/hook", "ws://localhost:8080/ms"),
    ("wss://agent.example/ms", "https://agent.example/hook", "wss://agent.example/ms"),
    # relative, as Twilio resolves it
    ("/media-stream", HOOK, "ws://127.0.0.1:5050/media-stream"),
    ("media", "http://127.0.0.1:5050/voice/incoming", "ws://127.0.0.1:5050/voice/media"),
    # another host: as written, over wss
    ("wss://media.example:8443/s", HOOK, "wss://media.example:8443/s"),
])
def test_the_stream_url_rule(written: str, hook: str, target: str) -> None:
    assert stream_target(written, hook) == target


def test_the_stream_url_can_be_given_outright() -> None:
    twiml = read_twiml('<Response><Connect><Stream url="wss://public.example/x"/></Connect>'
                       '</Response>', HOOK, stream_url="ws://127.0.0.1:9000/x")
    assert twiml.steps == (Stream("ws://127.0.0.1:9000/x", signed="ws://127.0.0.1:9000/x"),)


@pytest.mark.parametrize(("body", "words"), [
    ("", "empty body, not TwiML"),
    ("   \n", "empty body"),
    ("OK", "not XML"),
    ("<Response><Say>unclosed</Response>", "not XML"),
    ("<html><body>404</body></html>", "<html>, not TwiML"),
    ('<Response><Connect><Stream url="wss://127.0.0.1/ms?token=abc"/></Connect></Response>',
     "31920"),
    ('<Response><Connect><Stream/></Connect></Response>', "<Stream> has no url"),
    ('<Response><Connect><Stream url="ws://media.example/s"/></Connect></Response>', "31922"),
    ('<Response><Connect><Stream url="ftp://127.0.0.1/s"/></Connect></Response>', "31922"),
    ('<Response><Connect><Stream url="wss://[x/ms"/></Connect></Response>', "is not a URL"),
    ('<Response><Connect><Stream url="wss://h:99999/x"/></Connect></Response>', "not a URL"),
    ('<Response><Connect><Stream url="wss:///x"/></Connect></Response>', "names no host"),
    ('<Response><Pause length="soon"/></Response>', "not a number of seconds"),
    ('<Response><Pause length="-1"/></Response>', "from 0 to 600"),
    ('<Response><Pause length="nan"/></Response>', "not a number of seconds"),
    ('<Response><Say loop="twice">hi</Say></Response>', "not a whole number"),
    ('<Response><Say loop="-2">hi</Say></Response>', "below 0"),
])
def test_a_bad_answer_is_named_with_the_fix(body: str, words: str) -> None:
    with pytest.raises(TwimlError) as refused:
        read_twiml(body, HOOK)
    assert words in str(refused.value)


def test_the_query_string_refusal_says_how_to_pass_values() -> None:
    with pytest.raises(TwimlError, match=r"<Parameter name=.*customParameters"):
        stream_target("/ms?caller=1", HOOK)


def test_other_verbs_are_named_once_and_skipped_and_nothing_runs_after_an_end() -> None:
    twiml = read_twiml('<Response><Play>https://x/a.mp3</Play><Gather input="dtmf"/>'
                       '<Play>b</Play><Start><Stream url="wss://x/fork"/></Start>'
                       '<Connect><VirtualAgent/></Connect><Say>bye</Say><Hangup/>'
                       '<Say>after</Say></Response>', HOOK)
    assert twiml.steps == (Say("bye"), Hangup())
    assert twiml.skipped == ("Play", "Gather", "Start", "Connect/VirtualAgent", "Connect")
    rejected = read_twiml('<Response><Reject reason="busy"/><Say>x</Say></Response>', HOOK)
    assert rejected.steps == (Reject("busy"),)


def test_say_loops_and_pauses_as_twilio_counts_them() -> None:
    twiml = read_twiml('<Response><Say loop="0">hold</Say><Say loop="3">a</Say>'
                       '<Pause/><Pause length="2.5"/></Response>', HOOK)
    assert twiml.steps == (Say("hold", loop=SAY_LOOP_FOREVER), Say("a", loop=3), Pause(1.0),
                           Pause(2.5))


def test_an_oversized_or_exploding_answer_is_refused_quickly() -> None:
    with pytest.raises(TwimlError, match="64 kB"):
        read_twiml("<Response>" + "<Pause/>" * 20_000 + "</Response>", HOOK)
    laughs = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                        for i in range(8))
              + ']><Response><Say>&i;</Say></Response>')
    began = time.monotonic()
    with pytest.raises(TwimlError, match="not XML"):  # expat's amplification limit
        read_twiml(laughs, HOOK)
    assert time.monotonic() - began < 5.0  # refused, not expanded to 1 GB


VERBS = st.sampled_from(["Say", "Pause", "Connect", "Stream", "Parameter", "Hangup", "Reject",
                         "Play", "Response", "Gather"])
#: attribute values: any text, and URL-shaped text made of the parts that break URL readers
URLISH = st.lists(st.sampled_from(["wss://", "ws://", "http://", "//", "[", "]", ":", "99999",
                                   "127.0.0.1", "host", "/", "?q=1", "#f", "..", "%", "@"]),
                  max_size=6).map("".join)
ATTRS = st.dictionaries(st.sampled_from(["url", "length", "loop", "name", "value", "reason"]),
                        st.text(max_size=12) | URLISH, max_size=3)


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    verb = draw(VERBS) if depth else "Response"
    attrs = "".join(f' {k}="{_escape(v)}"' for k, v in draw(ATTRS).items())
    children = draw(st.lists(documents(depth + 1), max_size=3)) if depth < 2 else []
    text = _escape(draw(st.text(max_size=10)))
    return f"<{verb}{attrs}>{text}{''.join(children)}</{verb}>"


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\x00", ""))


@settings(max_examples=300, deadline=None)
@given(st.one_of(documents(), st.text(max_size=200), st.binary(max_size=200)))
def test_any_answer_is_steps_or_a_named_refusal(body: str | bytes) -> None:
    try:
        twiml = read_twiml(body, HOOK)
    except TwimlError as exc:
        assert str(exc)
        return
    for step in twiml.steps:
        if isinstance(step, Stream):
            assert step.url.startswith(("ws://", "wss://")) and "?" not in step.url
    ends = [i for i, s in enumerate(twiml.steps) if isinstance(s, Stream | Hangup | Reject)]
    assert ends in ([], [len(twiml.steps) - 1])


@settings(max_examples=500, deadline=None)
@given(URLISH | st.text(max_size=30), st.sampled_from([HOOK, "https://agent.example/hook"]))
def test_any_stream_url_is_a_websocket_target_or_a_named_refusal(written: str,
                                                                 hook: str) -> None:
    try:
        target = stream_target(written, hook)
    except TwimlError as exc:
        assert "<Stream url=" in str(exc)
        return
    assert target.startswith(("ws://", "wss://")) and "?" not in target and "#" not in target
