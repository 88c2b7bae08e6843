"""``agent:``, who the agent under test is (issue 79): unset, the model as the scenario sets it
up; ``server``, the server itself, with its own instructions, tools and turn detection (the run
sends it no ``session.update``). Issue 75's ``twilio:URL`` is to join ``server`` here."""

from __future__ import annotations

from collections.abc import Container

from voicechat.scenario.errors import did_you_mean

#: ``agent:``'s values
AGENTS = ("server",)
#: what ``agent: server`` leaves to the agent: a scenario that sets them contradicts itself
AGENT_OWNS = ("session", "tools", "mcp_config")


def agent_problem(agent: str, keys: Container[str]) -> tuple[str, str] | None:
    """The key at fault and why, for ``agent`` in a scenario with top-level ``keys``."""
    if agent not in AGENTS:
        return "agent", (f"unknown agent {agent!r}{did_you_mean(agent, AGENTS)}; 'server' runs "
                         "the scenario against the server's own agent, sending it no "
                         "session.update")
    for key in AGENT_OWNS:
        if key in keys:
            return key, (f"'agent: server' leaves {key} to the agent's own server, which sends "
                         "none; drop the key, or drop 'agent: server' to set up the model here")
    return None
