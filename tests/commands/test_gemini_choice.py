"""How a run picks the Gemini family until ``--provider gemini`` exists, and the target it
resolves (where, which key, which model)."""

from __future__ import annotations

import pytest

from voicechat.commands.chat import gemini_requested, gemini_target
from voicechat.config import Settings
from voicechat.protocol.gemini import names


def test_a_gemini_model_or_a_gemini_url_picks_the_family() -> None:
    assert gemini_requested(Settings(server="local", model="gemini-live"))
    assert gemini_requested(Settings(server="http://h:1" + names.PATH, model="x"))
    assert not gemini_requested(Settings(server="local", model="gpt-realtime"))


def test_the_target_reads_the_gemini_key_first_and_names_a_real_model_for_google(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "g-key")
    target = gemini_target(Settings(server="openai", model="gemini-live", api_key="sk-x",
                                    voice="Kore", instructions="Be brief."))
    assert target.server is None and target.api_key == "g-key"
    assert target.model == names.DEFAULT_MODEL
    assert (target.voice, target.instructions) == ("Kore", "Be brief.")
    local = gemini_target(Settings(server="local", model="gemini-live"))
    assert local.server == "local" and local.model == "gemini-live"
