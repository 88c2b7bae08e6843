"""One redaction for every layer: each credential shape the project handles is masked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.secrets import REDACTED, redact_text

CASES = [
    ("key sk-proj-abcdef123456 used", "sk-proj-abcdef123456"),
    ("token ek_68a0f0c0ffee", "ek_68a0f0c0ffee"),
    ("Authorization: Bearer abc.def-ghi123", "abc.def-ghi123"),
    ("headers {'api-key': 'azure0123456789'}", "azure0123456789"),
    ('{"api_key": "azurekey123456"}', "azurekey123456"),
    ("GET /openai/realtime?api-key=0123456789abcdef&deployment=d", "0123456789abcdef"),
    ("protocols realtime, openai-insecure-api-key.k3y-value, x", "k3y-value"),
    ("proxy http://user:hunter2@host:8080/v1", "hunter2"),
    ("export XAI_API_KEY=xai-Ab12Cd34Ef56Gh78", "xai-Ab12Cd34Ef56Gh78"),
    ("Sec-WebSocket-Protocol: xai-client-secret.tok_9f8e7d6c", "tok_9f8e7d6c"),
]


@pytest.mark.parametrize(("text", "secret"), CASES)
def test_every_credential_shape_is_masked(text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out
    assert REDACTED in out


def test_the_field_name_survives_so_the_reader_knows_what_was_there() -> None:
    assert redact_text("Authorization: Bearer abcdefgh12") == "Authorization: Bearer [redacted]"
    assert redact_text("api-key=0123456789&x=1") == "api-key=[redacted]&x=1"


def test_explicit_secrets_are_masked_whatever_their_shape() -> None:
    assert redact_text("configured key XYZ123 leaked", ["XYZ123", ""]) == (
        "configured key [redacted] leaked"
    )


def test_ordinary_text_is_untouched() -> None:
    for text in ("GET /v1/realtime?model=gpt-realtime", "the keyboard is fine", "a@b",
                 "Hello there, how are you?", "resp_123 item_abc event_XYZ", "risk-free"):
        assert redact_text(text) == text


@given(st.text(), st.from_regex(r"(sk-|ek_)[A-Za-z0-9_]{8,20}", fullmatch=True), st.text())
def test_a_key_is_masked_wherever_it_stands(before: str, key: str, after: str) -> None:
    assert key not in redact_text(f"{before} {key} {after}")


def test_a_url_port_is_not_a_password() -> None:
    """Only ``user:password@`` is masked: a port once read as a password whenever the text also
    said "key" or "authorization" (an MCP server's URL in an error about its key)."""
    text = "the api key was refused by http://127.0.0.1:8080/mcp (authorization)"
    assert redact_text(text) == text
    assert redact_text("via http://bob:s3cret@127.0.0.1:8080/mcp key") == (
        "via http://bob:[redacted]@127.0.0.1:8080/mcp key"
    )
