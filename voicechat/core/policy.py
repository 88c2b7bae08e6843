"""How a session should behave, and the ``session.update`` that asks the server for it.

The policy is plain, frozen configuration assembled by the CLI from flags and the config file.
The initial ``session.update`` is built here in the canonical (GA) shape; the outbox renders it
for the endpoint's dialect and validates it before anything is sent.

Decision — ``interrupt_response: false`` in VAD mode, whatever the barge-in setting. With
barge-in off the mic is muted during playback, so the assistant must never be cut off by the
server either. With barge-in on the *client* decides, because only the client knows how long the
assistant has really been audible and can apply the self-interruption guards (minimum assistant
and user speech). The server then never cancels or clears on its own, and toggling barge-in at
run time needs no ``session.update``. ``create_response`` stays true: the server starts the reply
when its VAD commits a turn. ``session_overrides`` from the config win over all of this.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from voicechat.core.tool_specs import Approval, ToolSpec
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.providers import Profile, profile_for, with_default_voice
from voicechat.protocol.session_audio import SHORT_SPEECH_SEGMENT_MS

Mode = Literal["vad", "ptt", "transcribe"]
TransportKind = Literal["webrtc", "websocket"]
PttStyle = Literal["toggle", "release"]

DEFAULT_TRANSCRIPTION_MODEL = "gpt-4o-mini-transcribe"


@dataclass(frozen=True)
class SessionPolicy:
    """Everything the session core needs to know about how to run a conversation.

    Times are milliseconds. ``short_segment_ms`` marks VAD segments too short to transcribe
    (server durations include the ~300 ms prefix padding); its default is the doctor's too:
    :data:`voicechat.protocol.session_audio.SHORT_SPEECH_SEGMENT_MS`.
    ``transcription_model=None`` turns input transcription off (not allowed in ``transcribe``
    mode, which then uses the default). ``model`` is the model the client connects to (the
    cost estimate's fallback until the server names its own); ``prices`` overrides
    :data:`voicechat.protocol.pricing.PRICES` (the config's ``[voicechat.prices]``).
    ``tools`` are the function tools the client runs (declared in ``session.tools`` after any
    tools of ``session_overrides``, e.g. hosted MCP ones); ``mcp_approval`` answers hosted MCP
    approval requests (``ask`` the user, ``auto`` approve, ``deny``). ``semantic_turns`` asks
    for ``semantic_vad`` turn detection (set when the local barge-in detector runs, see
    :func:`initial_session`). ``provider`` names the service's profile
    (:mod:`voicechat.protocol.providers`): the outbox renders for it, the session reads its
    aliases, and the first ``session.update`` carries its default voice when none is set.
    ``send_session=False`` is for a server that is itself the agent under test (a team's own
    Realtime server, ``voicechat test``'s ``agent: server``): no first ``session.update``, so
    its own instructions, tools and turn detection stay, and the function calls it makes are
    recorded but not answered: its tools are its own, and an answer from us would be a second,
    wrong one.
    """

    dialect: Dialect = Dialect.GA
    transport: TransportKind = "webrtc"
    mode: Mode = "vad"
    barge_in: bool = False
    ptt_style: PttStyle = "toggle"
    settle_ms: float = 400.0
    done_fallback_ms: float = 600.0
    ptt_min_audio_ms: float = 900.0
    min_assistant_speech_ms: float = 500.0
    min_user_speech_ms: float = 300.0
    short_segment_ms: float = SHORT_SPEECH_SEGMENT_MS
    azure: bool = False
    voice: str | None = None
    instructions: str | None = None
    transcription_model: str | None = DEFAULT_TRANSCRIPTION_MODEL
    session_overrides: Mapping[str, Any] = field(default_factory=dict, hash=False)
    model: str | None = None
    prices: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)
    tools: tuple[ToolSpec, ...] = ()
    mcp_approval: Approval = "ask"
    semantic_turns: bool = False
    provider: str = "openai"
    send_session: bool = True

    def __post_init__(self) -> None:
        # Accept plain strings from config files ("beta") as well as the enum.
        object.__setattr__(self, "dialect", Dialect(self.dialect))
        if self.mode not in ("vad", "ptt", "transcribe"):
            raise ValueError(f"mode must be vad, ptt or transcribe, not {self.mode!r}")
        if self.transport not in ("webrtc", "websocket"):
            raise ValueError(f"transport must be webrtc or websocket, not {self.transport!r}")
        if self.ptt_style not in ("toggle", "release"):
            raise ValueError(f"ptt_style must be toggle or release, not {self.ptt_style!r}")

    @property
    def webrtc(self) -> bool:
        return self.transport == "webrtc"

    @property
    def profile(self) -> Profile:
        return profile_for(self.provider)


def initial_session(policy: SessionPolicy) -> dict[str, Any]:
    """The canonical (GA) ``session`` object for the first ``session.update`` of ``policy.mode``."""
    audio_input: dict[str, Any] = {}
    session: dict[str, Any] = {}
    if policy.mode == "transcribe":
        session["type"] = "transcription"
        audio_input["transcription"] = {
            "model": policy.transcription_model or DEFAULT_TRANSCRIPTION_MODEL
        }
        audio_input["turn_detection"] = {"type": "server_vad"}
    else:
        session["type"] = "realtime"
        if policy.instructions is not None:
            session["instructions"] = policy.instructions
        if policy.transcription_model is not None:
            audio_input["transcription"] = {"model": policy.transcription_model}
        if policy.mode == "ptt":
            audio_input["turn_detection"] = None
        else:
            # Decision (issue 29): with the local barge-in detector (speakers, echo cancelled)
            # the turn is ended by semantic_vad, which waits for the end of the sentence.
            # server_vad ended a turn at every 200 ms pause, and right after a cut-off the
            # canceller's double-talk suppression chops the user's voice into such pauses: one
            # sentence became up to four turns, each starting a response that the rest of the
            # sentence then cancelled. The real service documents semantic_vad with the same
            # create/interrupt switches; our local server maps it to a 600 ms silence. [infer]
            # a service without it would answer with an error naming turn_detection.type.
            audio_input["turn_detection"] = {
                "type": "semantic_vad" if policy.semantic_turns else "server_vad",
                "create_response": True,
                "interrupt_response": False,
            }
    audio: dict[str, Any] = {"input": audio_input}
    if policy.voice is not None and policy.mode != "transcribe":
        audio["output"] = {"voice": policy.voice}
    session["audio"] = audio
    merged = with_default_voice(deep_merge(session, policy.session_overrides), policy.profile)
    if policy.tools and policy.mode != "transcribe":
        merged["tools"] = with_function_tools(merged.get("tools"), policy.tools)
    return merged


def with_function_tools(tools: Any, specs: Sequence[ToolSpec],
                        replaced: Sequence[ToolSpec] = ()) -> list[Any]:
    """The configured tools that are not ours (hosted MCP, …) followed by ``specs``' declarations.

    A ``session.update`` replaces the whole list, so every update must carry both; ``replaced``
    are the specs declared before (a tool that went away must go from the list too)."""
    ours = {spec.name for spec in (*specs, *replaced)}
    kept = [t for t in tools if not (isinstance(t, Mapping) and t.get("type") == "function"
                                     and t.get("name") in ours)] if isinstance(tools, list) else []
    return [*kept, *(spec.declaration() for spec in specs)]


def declare_tools(policy: SessionPolicy, requested: dict[str, Any],
                  specs: tuple[ToolSpec, ...]) -> tuple[SessionPolicy, dict[str, Any] | None]:
    """The policy with ``specs`` as its function tools, and the ``session.update`` that declares
    them (``None`` in transcribe mode, which has no tools); ``requested`` follows the update."""
    new = replace(policy, tools=specs)
    if policy.mode == "transcribe":
        return new, None
    tools = with_function_tools(requested.get("tools"), specs, policy.tools)
    requested["tools"] = tools
    return new, {"type": "session.update", "session": {"type": "realtime", "tools": tools}}


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` laid over it; nested objects merge, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out
