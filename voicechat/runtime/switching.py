"""Where a new session may go: the servers as configured and the models, as settings.

Switching (the TUI's command palette) starts a new server session seeded with the conversation,
the reconnect path's seeding (:mod:`voicechat.runtime.link`). This module only answers *which*
targets exist and what the settings of a chosen one are; the keys come from what the config
already resolved (:attr:`voicechat.config.Settings.switch_keys`), so a server without a key is
not offered, and a switch never asks for a key it does not have.

Decision: the models offered are the GA models the price table knows (the ones the cost
estimate can follow) plus the current one; on Azure the model is the deployment, which only the
configuration knows, so Azure offers its configured deployment and no model list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from voicechat.config import EXTRA_PROVIDERS, ConfigError, Settings
from voicechat.core import SessionPolicy
from voicechat.core.live_settings import LiveSettings, merge_session, session_patch
from voicechat.protocol.pricing import PRICES
from voicechat.runtime.driver import Driver
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.link import Link
from voicechat.runtime.local_server import EmbeddedServer
from voicechat.ui.handle import SwitchTarget

GA_MODELS = tuple(name for name in PRICES if not name.startswith("gpt-4o"))


def switch_targets(settings: Settings) -> list[SwitchTarget]:
    """The servers (other than the current one) and models a new session can move to."""
    targets: list[SwitchTarget] = []
    if settings.server != "local":
        targets.append(SwitchTarget("server", "local", "the local embedded server (offline)"))
    if settings.server != "openai" and "openai" in settings.switch_keys:
        targets.append(SwitchTarget("server", "openai", "OpenAI"))
    if (settings.server != "azure" and "azure" in settings.switch_keys
            and settings.azure_endpoint and settings.azure_deployment):
        targets.append(SwitchTarget("server", "azure", f"Azure ({settings.azure_endpoint})"))
    if settings.server != "azure" and settings.provider not in EXTRA_PROVIDERS:
        # another provider's models are its own: OpenAI's are no target there
        models = dict.fromkeys((*GA_MODELS, settings.model))
        targets += [SwitchTarget("model", name, name) for name in models
                    if name != settings.model]
    return targets


def switched(settings: Settings, *, server: str | None = None,
             model: str | None = None) -> Settings:
    """``settings`` moved to ``server`` and/or ``model``; :class:`ConfigError` if it cannot."""
    changes: dict[str, object] = {}
    if server is not None and server != settings.server:
        changes["server"] = server
        if server == "local":
            changes["api_key"] = None
        elif server in ("openai", "azure"):
            key = settings.switch_keys.get(server)
            if not key:
                variable = "OPENAI_API_KEY" if server == "openai" else "AZURE_OPENAI_API_KEY"
                raise ConfigError(f"no key for {server}: set {variable} and start again")
            changes["api_key"] = key
        else:
            raise ConfigError(f"{server!r} is not local, openai or azure")
        if server == "azure":
            if not settings.azure_endpoint or not settings.azure_deployment:
                raise ConfigError("Azure needs AZURE_OPENAI_ENDPOINT and "
                                  "AZURE_OPENAI_DEPLOYMENT to switch to it")
            changes["model"] = settings.azure_deployment
        elif settings.server == "azure" and model is None:
            changes["model"] = GA_MODELS[0] if GA_MODELS else settings.model
    if model is not None:
        changes["model"] = model
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


async def switch_session(settings: Settings, live: LiveSettings, *, server: str | None,
                         model: str | None, link: Link, driver: Driver,
                         embedded: EmbeddedServer, events: EventFanout,
                         policy_for: Callable[[Settings], SessionPolicy]) -> Settings:
    """Move the conversation to a new server session (``server``, ``model``, ``live``
    settings), seeded with it; returns the new settings. The policy keeps what the user set
    (tools, barge-in, the push-to-talk style). On failure nothing changed and it raises."""
    target = switched(settings, server=server, model=model)
    if target.is_local:
        await embedded.start(events, target)
    old = driver.policy
    policy = dataclasses.replace(policy_for(target), tools=old.tools, barge_in=old.barge_in,
                                 ptt_style=old.ptt_style)
    patch = session_patch(live, mode=target.mode, transcription_model=policy.transcription_model)
    policy = dataclasses.replace(
        policy, session_overrides=merge_session(policy.session_overrides, patch))

    def adopt() -> None:
        driver.policy = policy

    await link.switch(target, before_adopt=adopt)
    return target
