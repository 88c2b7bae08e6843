"""Which input modes an API family can run: the rule behind ``--mode`` for GPT-Live and Gemini.

Why a module of its own: :mod:`voicechat.config` resolves every setting of every family and
had grown past 500 lines; this rule is one decision about families, read by two of its paths.
"""

from __future__ import annotations

from voicechat.config_layers import Layers
from voicechat.config_schema import ConfigError


def no_turn_modes(layers: Layers, mode: str, family: str) -> None:
    """GPT-Live and Gemini Live stream the mic throughout and find the turns themselves (the
    model hears all the time; the mute key silences it): there is no push-to-talk and no
    captions-only session to run, and a ``--mode ptt`` they ran in hands-free was accepted
    silently (issue 55, item 17). Decision: refuse it before connecting, naming the fix,
    rather than bolt push-to-talk onto a stream the protocols do not gate."""
    if mode == "vad":
        return
    what = "push-to-talk" if mode == "ptt" else "captions-only (transcribe) mode"
    raise ConfigError(f"{layers.origin('mode')}: {family} has no {what}: the mic streams "
                      "throughout and the model finds the turns itself (the mute key silences "
                      f"it). Leave the mode out (or make it vad); for {mode} use the Realtime "
                      "API (--api realtime, the default for gpt-realtime models)")
