"""``watch`` and ``proxy --upstream`` by provider name: the profile's host and key variable,
and a clear refusal where a provider has no WebRTC sideband to watch."""

from __future__ import annotations

import pytest

from voicechat.commands import watch as watch_command
from voicechat.observe.upstream import UpstreamError, resolve_upstream


def test_providers_resolve_to_their_hosts_and_keys() -> None:
    xai = resolve_upstream("xai", {})
    assert (xai.base, xai.key_env, xai.provider) == ("https://api.x.ai", "XAI_API_KEY", "xai")
    gemini = resolve_upstream("gemini", {})
    assert gemini.base == "https://generativelanguage.googleapis.com"
    assert gemini.key_env == "GEMINI_API_KEY" and not gemini.azure
    live = resolve_upstream("voice-live", {"AZURE_VOICELIVE_ENDPOINT":
                                           "https://r.services.ai.azure.com/"})
    assert (live.base, live.azure, live.key_env) == (
        "https://r.services.ai.azure.com", True, "AZURE_VOICELIVE_API_KEY")
    with pytest.raises(UpstreamError, match="AZURE_VOICELIVE_ENDPOINT"):
        resolve_upstream("voice-live", {})
    assert resolve_upstream("openai", {}).provider is None


@pytest.mark.parametrize(("server", "title"), [("xai", "xAI Grok Voice"),
                                               ("gemini", "Google Gemini Live"),
                                               ("voice-live", "Azure AI Voice Live")])
def test_watch_says_why_it_cannot_watch_a_provider_without_webrtc(
        server: str, title: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAI_API_KEY", "xai-secret-never-printed")
    monkeypatch.delenv("AZURE_VOICELIVE_ENDPOINT", raising=False)  # refused before it matters
    code = watch_command.run("rtc_123", server=server, record=None, no_ui=True,
                             allow_send=False)
    err = capsys.readouterr().err
    assert code == 2
    assert f"{title} has no WebRTC calls, so no sideband" in err
    assert f"voicechat proxy --upstream {server}" in err and "secret" not in err
