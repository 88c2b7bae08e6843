"""A scenario's settings: the run's connection from the command line and the config file, the
agent under test from the scenario file alone.

Decided for ``voicechat test`` (issue 52), written here because it is what makes a scenario
reproducible:

* **From the command line, the environment and the config file**: where and how to connect
  (``server``, ``provider``, ``transport``, ``api``, ``model``, ``dialect``, the keys, Azure's
  endpoint, prices, the local server's voice).
* **From the scenario only**: the session (``session:``; ``instructions`` and ``voice`` go
  where each family takes them, every other field into the first ``session.update`` and checked
  there as the server would), the tools (``tools:`` as canned results, ``mcp_config:``), the
  local server's responder (``local_responder:``). The config file's own session table and tools
  are left out: a scenario runs the same on every machine.
* **``agent: server``**: the server is the agent under test (a team's own Realtime server,
  with its own instructions and tools). Nothing is sent to set it up: no ``session.update``,
  so no ``server_vad`` with ``interrupt_response: false`` and no transcription request either;
  the server's own turn detection decides, and a "heard:" line is empty unless the agent
  transcribes. Its function calls are recorded for ``tool_calls:`` but not answered. The
  scenario may not set ``session``, ``tools`` or ``mcp_config`` (they are the agent's), and
  only a Realtime server can be such an agent (Gemini Live and GPT-Live are set up by the
  client's first message).
* **Fixed for a test run**: no UI; barge-in on (the virtual speaker has no echo, so the mic
  stays open over answers and an interruption is heard); echo cancellation off; the scenario's
  tools run without asking (writing them into the scenario is the asking; nothing else is
  offered); no ``--resume``, no saved transcripts.
* **Against the local server**, its recognition grammar is the scenario's ``say:`` sentences
  (unless the config sets ``local_asr_phrases``), so the offline recogniser hears exactly what
  was said, as a test peer should.

What a family cannot express is refused here, before anything connects (exit 2): GPT-Live runs
tools through its own delegation, so a scenario's ``tools``, ``mcp_config`` and ``tool_calls``
cannot be offered or checked there; GPT-Live and Gemini Live take only ``instructions`` and
``voice`` from ``session:``; interruptions are Realtime's and Gemini's (GPT-Live's own turn-taking
decides when the model yields).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from voicechat.commands.preflight import check_session_table
from voicechat.config import Settings
from voicechat.families import Family
from voicechat.scenario.errors import ScenarioError, raise_all
from voicechat.scenario.spec import Scenario

#: the session fields every family takes (into the settings, not the session table)
SETTINGS_FIELDS = ("instructions", "voice")


def scenario_settings(base: Settings, scenario: Scenario, family: Family, *,
                      record: Path | None) -> Settings:
    """``base`` (the resolved command line and config) made into this scenario's run."""
    refuse_inexpressible(scenario, family)
    session = dict(scenario.session)
    picked = {key: session.pop(key) for key in SETTINGS_FIELDS if key in session}
    for key, value in picked.items():
        if not isinstance(value, str) or not value.strip():
            raise ScenarioError(scenario.file, 0, f"session.{key}",
                                f"expected text, got {value!r}")
    if "voice" in picked:
        check_voice(scenario, picked["voice"], family, base)
    tools: dict[str, Any] = {}
    for tool in scenario.tools:
        table: dict[str, Any] = {"description": tool.description}
        if tool.parameters is not None:
            table["parameters"] = dict(tool.parameters)
        if tool.command is not None:
            table["command"] = list(tool.command)
            table["cwd"] = str(Path(scenario.file).resolve().parent)  # as its reader expects
        else:
            result = tool.result
            table["result"] = result if isinstance(result, str) else json.dumps(result)
        tools[tool.name] = table
    phrases = base.local_asr_phrases
    if phrases is None:
        said = [turn.content for turn in scenario.turns if turn.kind == "say"]
        phrases = said or None
    settings = dataclasses.replace(
        base,
        no_ui=True, mic="none", speaker="none", record=record, turns=None,
        barge_in=True, aec=False, resume=None, save_transcripts=False,
        instructions=picked.get("instructions"),
        voice=picked.get("voice", base.voice),
        session_overrides=session,
        tools=tools, mcp_servers={},
        mcp_config=Path(scenario.mcp_config) if scenario.mcp_config else None,
        tool_approval="auto",
        local_responder=scenario.local_responder or base.local_responder,
        local_asr_phrases=phrases,
        send_session=scenario.agent != "server",
    )
    if session and family.name == "realtime":
        try:
            check_session_table(settings, where=f"{scenario.file}: session")
        except ValueError as exc:
            raise ScenarioError(scenario.file, 0, "", str(exc).removeprefix(
                f"{scenario.file}: ")) from None
    return settings


def known_voices(family: Family, base: Settings) -> tuple[str, ...] | None:
    """The voices ``family`` speaks with on ``base``'s service, or ``None`` where this cannot
    be known here (a gateway's or another provider's upstream, xAI's and Voice Live's own).

    Decision (issue 79): the SDKs type ``voice`` as "any string or one of these" to stay open
    to new voices, and our schemas inherited that, so ``shimmerx`` and a Realtime voice under
    Gemini passed the lint and the run went on with the server's default or failed at connect.
    The services take their own list (Realtime: ``invalid_value`` naming the supported values,
    [infer] from its enum errors; Gemini: its prebuilt voices): checked here for OpenAI's and
    Azure's Realtime, GPT-Live and Gemini Live, and on the local server, which plays them."""
    from voicechat.core.live_settings import VOICES as REALTIME_VOICES
    from voicechat.protocol.gemini.names import VOICES as GEMINI_VOICES
    from voicechat.protocol.live.names import BUILT_IN_VOICES

    if family.name == "gemini":
        return GEMINI_VOICES if base.is_local or \
            "generativelanguage.googleapis.com" in base.server else None
    if family.name == "live":
        return BUILT_IN_VOICES if base.is_local or base.provider == "openai" else None
    if base.is_local or base.server in ("openai", "azure"):
        return REALTIME_VOICES
    return None


def check_voice(scenario: Scenario, voice: str, family: Family, base: Settings) -> None:
    """``session.voice`` is one of the family's voices where they are known (exit 2, with the
    list and a did-you-mean; the names are compared as the services do, ignoring case)."""
    import difflib

    voices = known_voices(family, base)
    if voices is None or voice.casefold() in {v.casefold() for v in voices}:
        return
    match = difflib.get_close_matches(voice, voices, n=1, cutoff=0.6)
    hint = f" (did you mean {match[0]!r}?)" if match else ""
    raise ScenarioError(scenario.file, 0, "session.voice",
                        f"{voice!r} is not a {family.title} voice{hint}; one of "
                        f"{', '.join(voices)}")


def refuse_inexpressible(scenario: Scenario, family: Family) -> None:
    """Exit-2 errors for keys ``family`` cannot run, naming each key and why, all of them at
    once in the file's order: three refused keys took three runs to hear of (issue 79)."""
    def fail(where: str, why: str) -> ScenarioError:
        return ScenarioError(scenario.file, 0, where, f"{why} ({family.title}); run this "
                                                      "scenario against a Realtime server "
                                                      "or drop the key")

    errors: list[ScenarioError] = []
    if scenario.agent == "server" and family.name != "realtime":
        errors.append(ScenarioError(
            scenario.file, scenario.agent_line, "agent",
            f"'agent: server' needs a server that keeps its own session, as a Realtime server "
            f"does; {family.title} is set up by the client's first message, so there is no "
            "agent of the server's own to test. Run it against a Realtime server"))
    if family.name != "realtime":
        errors += [fail(f"session.{key}", "only instructions and voice are session settings "
                                          "here")
                   for key in scenario.session if key not in SETTINGS_FIELDS]
    if family.name == "live":
        why = ("GPT-Live runs tools through its own delegation, so a scenario cannot offer or "
               "answer them")
        errors += [fail(key, why) for key, given in (("tools", scenario.tools),
                                                     ("mcp_config", scenario.mcp_config))
                   if given]
        for i, turn in enumerate(scenario.turns):
            if turn.expect.tool_calls is not None:
                errors.append(ScenarioError(
                    scenario.file, turn.line, f"turns[{i}].expect.tool_calls",
                    "GPT-Live's tool calls are its delegation's, not checked here (GPT-Live); "
                    "drop the key for this family"))
            if turn.interrupt_after_ms is not None:
                errors.append(ScenarioError(
                    scenario.file, turn.line, f"turns[{i}].interrupt_after_ms",
                    "GPT-Live decides itself when the model yields the floor, so an "
                    "interruption cannot be timed (GPT-Live); run it against a Realtime or "
                    "Gemini Live server"))
    raise_all(errors)
