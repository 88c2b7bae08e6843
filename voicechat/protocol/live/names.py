"""GPT-Live event names, paths, limits and the few values the protocol fixes.

Event lists follow the official SDK's unions (``openai.types.live.ClientEvent`` and
``ServerEvent``, openai-python 3.52.0): 15 client and 28 server types, the "later" surface
(decisions, audio fixtures) included, since the SDK types it. A test keeps these tuples equal
to the SDK's unions.
"""

from __future__ import annotations

import math

# --- endpoints --------------------------------------------------------------------------------

#: the primary WebSocket (``GET``, no query) and the WebRTC create (``POST`` JSON with the SDP)
PATH = "/v1/live/sessions"
#: Azure (Foundry). The reference notes the repo copy of Azure's docs writes ``/openai/v1/live``
#: while the published pages and all third-party code use ``…/live/sessions``; decided: serve
#: ``/openai/v1/live/sessions`` like the published pages (the servers also accept the other).
AZURE_PATH = "/openai/v1/live/sessions"
AZURE_SHORT_PATH = "/openai/v1/live"
#: the sideband: ``{PATH}/{session_id}/attach`` (optional ``?graceful_close=true``)
ATTACH_SUFFIX = "/attach"

# --- client → server --------------------------------------------------------------------------

SESSION_START = "session.start"
SESSION_UPDATE = "session.update"
INPUT_AUDIO_APPEND = "session.input_audio.append"
INPUT_AUDIO_MUTE = "session.input_audio.mute"
INPUT_AUDIO_UNMUTE = "session.input_audio.unmute"
INSTRUCTIONS_APPEND = "session.instructions.append"
THINKING_APPEND = "session.thinking.append"
COMMENTARY_APPEND = "session.commentary.append"
RESPONSE_ITEM_CREATE = "response.item.create"
RESPONSE_CREATE = "response.create"
SESSION_CLOSE = "session.close"
FIXTURE_PLAY = "session.output_audio.fixture.play"
DECISION_CREATE = "decision.create"
DECISION_ITEM_CREATE = "decision.item.create"
DECISION_ITEM_DELETE = "decision.item.delete"

#: the three context appends: ``content`` (≤ 500 tokens) and a required, nullable
#: ``delegation_id``; each is acknowledged by its ``…appended`` event
APPENDS: tuple[str, ...] = (INSTRUCTIONS_APPEND, THINKING_APPEND, COMMENTARY_APPEND)

#: the core client events (SDK, Sep–Oct 2026 surface)
CORE_CLIENT_EVENTS: tuple[str, ...] = (
    SESSION_START,
    SESSION_UPDATE,
    INPUT_AUDIO_APPEND,
    INPUT_AUDIO_MUTE,
    INPUT_AUDIO_UNMUTE,
    INSTRUCTIONS_APPEND,
    THINKING_APPEND,
    COMMENTARY_APPEND,
    RESPONSE_ITEM_CREATE,
    RESPONSE_CREATE,
    SESSION_CLOSE,
)
#: every client event type the SDK knows, sorted (the order errors list them in)
CLIENT_EVENTS: tuple[str, ...] = tuple(
    sorted((*CORE_CLIENT_EVENTS, FIXTURE_PLAY, DECISION_CREATE, DECISION_ITEM_CREATE,
            DECISION_ITEM_DELETE))
)
#: client events that need ``delegation.type: "responses"``
RESPONSES_ONLY: tuple[str, ...] = (RESPONSE_ITEM_CREATE, RESPONSE_CREATE)

# --- server → client --------------------------------------------------------------------------

SESSION_STARTED = "session.started"
SESSION_UPDATED = "session.updated"
INPUT_AUDIO_MUTED = "session.input_audio.muted"
INPUT_AUDIO_UNMUTED = "session.input_audio.unmuted"
INSTRUCTIONS_APPENDED = "session.instructions.appended"
THINKING_APPENDED = "session.thinking.appended"
COMMENTARY_APPENDED = "session.commentary.appended"
OUTPUT_AUDIO_DELTA = "session.output_audio.delta"
INPUT_TRANSCRIPT_DELTA = "session.input_transcript.delta"
OUTPUT_TRANSCRIPT_DELTA = "session.output_transcript.delta"
DELEGATION_CREATED = "session.delegation.created"
RESPONSE_EVENT = "response.event"
USAGE_UPDATED = "session.usage.updated"
SESSION_CLOSED = "session.closed"
ERROR = "error"
INFO = "info"

#: the acknowledgement of each append
APPENDED: dict[str, str] = {
    INSTRUCTIONS_APPEND: INSTRUCTIONS_APPENDED,
    THINKING_APPEND: THINKING_APPENDED,
    COMMENTARY_APPEND: COMMENTARY_APPENDED,
}

#: what a primary WebSocket or WebRTC data channel receives (SDK server union less the
#: sideband-only and later events)
CORE_SERVER_EVENTS: tuple[str, ...] = (
    SESSION_STARTED,
    SESSION_UPDATED,
    INPUT_AUDIO_MUTED,
    INPUT_AUDIO_UNMUTED,
    INSTRUCTIONS_APPENDED,
    THINKING_APPENDED,
    COMMENTARY_APPENDED,
    OUTPUT_AUDIO_DELTA,
    INPUT_TRANSCRIPT_DELTA,
    OUTPUT_TRANSCRIPT_DELTA,
    DELEGATION_CREATED,
    RESPONSE_EVENT,
    USAGE_UPDATED,
    SESSION_CLOSED,
    ERROR,
    INFO,
)
#: sent to sideband observers only (the reflected mic reuses the client's append type)
SIDEBAND_ONLY_SERVER_EVENTS: tuple[str, ...] = (
    INPUT_AUDIO_APPEND,
    "transport.dtmf.received",
    "transport.dtmf.send",
    "transport.dtmf.sent",
    "transport.ringing",
    "transport.answered",
    "transport.failed",
)
#: the later surface the SDK already types
LATER_SERVER_EVENTS: tuple[str, ...] = (
    "session.output_audio.fixture.playing",
    "session.output_audio.fixture.played",
    "decision.event",
    "decision.item.created",
    "decision.item.deleted",
)
SERVER_EVENTS: tuple[str, ...] = tuple(
    sorted((*CORE_SERVER_EVENTS, *SIDEBAND_ONLY_SERVER_EVENTS, *LATER_SERVER_EVENTS))
)

#: ``session.closed.reason`` (SDK ``SessionClosedEvent.reason``)
CLOSE_REASONS: tuple[str, ...] = (
    "close_requested",
    "expired",
    "content",
    "remote_hangup",
    "connection_lost",
)

# --- config values ----------------------------------------------------------------------------

DEFAULT_MODEL = "gpt-live-1"
DEFAULT_VOICE = "marin"
#: SDK ``BuiltInVoice`` (31 names); a custom voice is ``{"id": "voice_…"}``
BUILT_IN_VOICES: tuple[str, ...] = (
    "alloy", "ash", "ballad", "beacon", "bossa", "brise", "cedar", "cinder", "coral", "delta",
    "echo", "flitz", "gleam", "harema", "juni", "marin", "meridian", "nira", "noeul", "nuri",
    "quartz", "ripple", "sage", "shimmer", "shitan", "sillage", "stone", "tempo", "verse",
    "vesper", "willow",
)
AUDIO_PCM, AUDIO_PCMU, AUDIO_PCMA = "audio/pcm", "audio/pcmu", "audio/pcma"
DEFAULT_AUDIO_FORMAT: dict[str, object] = {"type": AUDIO_PCM, "rate": 24000}
DELEGATION_TYPES: tuple[str, ...] = ("client", "responses", "decisions")

# --- limits -----------------------------------------------------------------------------------

#: one context append (instructions, thinking, commentary): "Context append text must not
#: exceed 500 tokens" (SDK doc comment; observed wording, reference §1.3)
APPEND_MAX_TOKENS = 500
#: startup ``instructions``: "Instructions must not exceed 16384 tokens"
INSTRUCTIONS_MAX_TOKENS = 16384
#: startup ``input``: at most 128 messages (129 refuse the session)
INPUT_MAX_ITEMS = 128
#: [infer] Characters per token of the estimate below. No tokenizer runs offline; the one
#: probe of the real limit saw ~1,756 characters of English accepted and ~1,900 refused at 500
#: tokens, i.e. 3.5–3.8 characters a token. Decided: 3.6, which puts both observations on the
#: right side (1,756 → 488 tokens, 1,900 → 528).
CHARS_PER_TOKEN = 3.6


def estimate_tokens(text: str) -> int:
    """Tokens of ``text`` as the limits count them, estimated (see :data:`CHARS_PER_TOKEN`)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def is_live_model(model: str) -> bool:
    """``gpt-live-1``, ``gpt-live-1.1``…: a model only ``/v1/live/sessions`` serves."""
    return model.startswith("gpt-live")
