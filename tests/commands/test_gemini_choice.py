"""The target ``--provider gemini`` resolves for the Gemini runtime (where, which key, which
model)."""

from __future__ import annotations

from voicechat.config import Settings
from voicechat.families import gemini_target
from voicechat.protocol.gemini import names


def test_google_gets_a_real_model_and_a_test_server_the_name_given() -> None:
    google = gemini_target(Settings(server="https://generativelanguage.googleapis.com",
                                    provider="gemini", model="gemini-live", api_key="g-key",
                                    voice="Kore", instructions="Be brief."))
    assert google.server is None and google.api_key == "g-key"
    assert google.model == names.DEFAULT_MODEL
    assert (google.voice, google.instructions) == ("Kore", "Be brief.")
    local = gemini_target(Settings(server="local", provider="gemini", model="gemini-live"))
    assert local.server == "local" and local.model == "gemini-live"
    url = gemini_target(Settings(server="http://127.0.0.1:9/x", provider="gemini",
                                 model="gemini-3.1-flash-live-preview"))
    assert url.server == "http://127.0.0.1:9/x" and url.model == "gemini-3.1-flash-live-preview"
