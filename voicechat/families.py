"""The three API families as one object each, picked once from the settings.

A family is what differs between OpenAI Realtime (and every provider of that wire), GPT-Live
(``--api live``) and Gemini Live (``--provider gemini``): the runtime that speaks it, the line
face's reading of it (:class:`~voicechat.lines.family.LineFamily`: when a turn is answered,
when nothing plays) and how a resumed conversation is seeded. ``voicechat`` (the TUI and
``--no-ui``), ``voicechat test`` and ``voicechat load`` all pick it here with
:func:`family_for` instead of each testing ``api`` and ``provider`` in turn (issue 52, §3:
``commands/chat.py`` used to start the TUI and the line face three times over).

This layer sits above ``lines`` and the runtime and below the commands: it makes runtimes and
line families, and knows nothing of who drives them.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from voicechat.config import Settings
    from voicechat.conversation.seed import SeedPlan
    from voicechat.lines.family import LineFamily

FamilyName = Literal["realtime", "live", "gemini"]


class Family(Protocol):
    """One API family, as every face that runs a conversation asks of it."""

    @property
    def name(self) -> FamilyName: ...

    @property
    def title(self) -> str:
        """How messages name it: ``Realtime``, ``GPT-Live``, ``Gemini Live``."""

    def ui_runtime(self, settings: Settings, earlier: Any = None) -> Any:
        """The runtime the TUI drives (a ``ConversationHandle``), not started."""

    def lines(self, settings: Settings, earlier: Any = None) -> tuple[LineFamily,
                                                                       SeedPlan | None]:
        """The line face's family (its runtime not started) and the earlier turns a
        ``--resume`` seeds, to be shown once before anything else (``None``: none)."""


class RealtimeFamily:
    """OpenAI Realtime and every provider of its wire (Azure, xAI, Voice Live, gateways)."""

    name: FamilyName = "realtime"
    title = "Realtime"

    def ui_runtime(self, settings: Settings, earlier: Any = None) -> Any:
        from voicechat.runtime import Runtime

        return Runtime(settings, earlier=earlier)

    def lines(self, settings: Settings, earlier: Any = None) -> tuple[LineFamily,
                                                                       SeedPlan | None]:
        from voicechat.lines.realtime import RealtimeLines

        family = RealtimeLines(settings, earlier=earlier)
        return family, family.runtime.resumed


class LiveFamily:
    """GPT-Live (``--api live``): its own runtime, one connection, the mic always streaming."""

    name: FamilyName = "live"
    title = "GPT-Live"

    def ui_runtime(self, settings: Settings, earlier: Any = None) -> Any:
        from voicechat.runtime.live import LiveRuntime

        return LiveRuntime(settings, earlier=earlier)

    def lines(self, settings: Settings, earlier: Any = None) -> tuple[LineFamily,
                                                                       SeedPlan | None]:
        from voicechat.lines.live import LiveLines

        family = LiveLines(settings, earlier=earlier)
        return family, family.runtime.resumed


class GeminiFamily:
    """Gemini Live (``--provider gemini``): setup first, turns closed by ``turnComplete``."""

    name: FamilyName = "gemini"
    title = "Gemini Live"

    def ui_runtime(self, settings: Settings, earlier: Any = None) -> Any:
        from voicechat.runtime.gemini import GeminiRuntime

        target, _ = self._target(settings, earlier)
        return GeminiRuntime(settings, target)

    def lines(self, settings: Settings, earlier: Any = None) -> tuple[LineFamily,
                                                                       SeedPlan | None]:
        from voicechat.lines.gemini import gemini_lines

        target, plan = self._target(settings, earlier)
        return gemini_lines(settings, target), plan

    @staticmethod
    def _target(settings: Settings, earlier: Any) -> tuple[Any, SeedPlan | None]:
        """Where and what to run; ``earlier`` (``--resume``) seeds the session's history."""
        target = gemini_target(settings)
        if earlier is None:
            return target, None
        from voicechat.conversation.seed import plan_seed

        plan = plan_seed(earlier)
        return dataclasses.replace(target, earlier=plan.turns), plan


def family_for(settings: Settings) -> Family:
    """The family ``settings`` run: Gemini's profile, GPT-Live's API, or Realtime."""
    if settings.profile.family == "gemini":
        return GeminiFamily()
    if settings.api == "live":
        return LiveFamily()
    return RealtimeFamily()


def gemini_target(settings: Settings) -> Any:
    """The resolved ``--provider gemini`` settings as the Gemini runtime takes them: where
    (``local``, Google's own endpoint, or the given URL), the key (already read by
    :mod:`voicechat.config`: ``GEMINI_API_KEY``, then ``GOOGLE_API_KEY``), model, voice and
    instructions."""
    from voicechat.protocol.gemini import names
    from voicechat.runtime.gemini import GeminiTarget

    server = settings.server
    google = server.rstrip("/") == str(settings.profile.base_url)
    where = None if google else server
    model = str(settings.model)
    # "gemini-live" is the local server's name for any Live model (the profile's default);
    # Google needs a real one, so there it means the protocol's default model
    if not model.startswith(("gemini-", "models/gemini")) or (google and model == "gemini-live"):
        model = names.DEFAULT_MODEL
    return GeminiTarget(server=where, api_key=settings.api_key, model=model,
                        voice=settings.voice, instructions=settings.instructions)
