"""Problems become short messages with a fix, and secrets never reach the screen."""

from __future__ import annotations

import pytest

from voicechat.ui.problems import problem_from_event, problem_from_exception, redact


def test_redact_keys_tokens_and_headers() -> None:
    text = ("key sk-proj-abcdefghijklmnop token ek_68a1b2c3d4e5f6 "
            "Authorization: Bearer abcdefghijklmnopqrstuvwxyz api-key=0123456789abcdef")
    out = redact(text)
    for secret in ("sk-proj-abcdefghijklmnop", "ek_68a1b2c3d4e5f6", "abcdefghijklmnopqrstuvwxyz",
                   "0123456789abcdef"):
        assert secret not in out
    assert out.count("[redacted]") == 4


def test_start_failures_are_classified_with_a_fix() -> None:
    no_device = problem_from_exception(OSError("PortAudio library not found"))
    assert no_device.title == "No audio device" and "--mic FILE" in no_device.fix
    expired = problem_from_exception(RuntimeError("401 Unauthorized: token ek_abcdefghij expired"))
    assert expired.title.startswith("The API key was rejected")
    assert "ek_abcdefghij" not in str(expired)
    unreachable = problem_from_exception(ConnectionRefusedError("[Errno 111] refused"))
    assert unreachable.title == "The server is unreachable"
    config = problem_from_exception(ValueError("Unknown parameter: 'session.foo'."))
    assert config.title == "The session configuration was rejected"
    assert "session.foo" in config.detail


def test_events_that_need_the_user() -> None:
    benign = problem_from_event("in", {"type": "error", "error": {
        "code": "response_cancel_not_active",
        "message": "Cancellation failed: no active response found"}})
    assert benign is None
    bad = problem_from_event("in", {"type": "error", "error": {
        "type": "invalid_request_error", "code": "unknown_parameter",
        "message": "Unknown parameter: 'session.x'."}})
    assert bad is not None and "unknown_parameter" in bad.title
    failed = problem_from_event("local", {"type": "local.transport.state", "state": "failed",
                                          "detail": "ICE failed"})
    assert failed is not None and failed.title == "The connection failed"
    assert problem_from_event("in", {"type": "response.done"}) is None


def test_runtime_errors_by_class_name() -> None:
    class ConnectError(Exception):
        pass

    class AuthError(Exception):
        pass

    reach = problem_from_exception(ConnectError("cannot reach http://127.0.0.1:9/v1: refused"))
    assert reach.title == "The server is unreachable"
    rejected = problem_from_exception(ConnectError(
        "minting a session key failed: HTTP 400: Unknown parameter: 'session.foo'."))
    assert rejected.title == "The session configuration was rejected"
    auth = problem_from_exception(AuthError("the server refused the API key; check it"))
    assert auth.title == "The API key was rejected or has expired"


@pytest.mark.parametrize("port", [40157, 14010, 34015, 4010, 401])
def test_a_port_with_401_in_it_is_not_a_rejected_key(port: int) -> None:
    """A random port once made an unreachable server, and an untrusted certificate, read as a
    rejected key (CI: ``https://127.0.0.1:40157``)."""
    base = f"https://127.0.0.1:{port}/v1/realtime/client_secrets"
    unreachable = problem_from_exception(ConnectionRefusedError(
        f"cannot reach {base}: Cannot connect to host 127.0.0.1:{port} ssl:default"))
    assert unreachable.title == "The server is unreachable"
    untrusted = problem_from_exception(OSError(
        f"cannot reach {base}: Cannot connect to host 127.0.0.1:{port} ssl:True "
        "[SSLCertVerificationError: (1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
        "failed: self-signed certificate (_ssl.c:1006)')]"))
    assert untrusted.title == "The server's TLS certificate is not trusted"
    assert "SSL_CERT_FILE" in untrusted.fix


def test_an_expired_certificate_is_not_an_expired_key() -> None:
    problem = problem_from_exception(OSError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired"))
    assert problem.title == "The server's TLS certificate is not trusted"


@pytest.mark.parametrize("text", ["HTTP 401: Unauthorized", "status=401", "(401)",
                                  "server said 401 for the key"])
def test_a_401_status_is_still_a_rejected_key(text: str) -> None:
    assert problem_from_exception(RuntimeError(text)).title.startswith(
        "The API key was rejected")
