"""Validate GPT-Live session configs and client events as the server does, in its words.

The shapes mirror the official SDK's models (``openai.types.live``, openai-python 3.52.0):
field names, which are required, literal values. Where the SDK and the docs disagree the SDK
wins (e.g. ``delegation.responses.tools`` accepts every tool type the SDK lists, though the
guide says only ``function`` and ``web_search`` work); tests compare these field sets with the
SDK's. Everything is closed (unknown fields are refused with ``unknown_parameter``), except the
hosted tools and Responses input items the SDK types only by their ``type``, whose insides are
the backend's business.

Beyond shapes, the limits the server enforces on content: ``instructions`` ≤ 16,384 tokens,
``input`` ≤ 128 messages, each context append ≤ 500 tokens (tokens estimated, see
:func:`~voicechat.protocol.live.names.estimate_tokens`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.protocol.live import errors, names
from voicechat.protocol.live.errors import LiveError
from voicechat.protocol.live.shapes import (
    AnyObject,
    Bool,
    Either,
    Enum,
    Int,
    ListOf,
    Nullable,
    Obj,
    Shape,
    Str,
    Tagged,
    describe,
)

__all__ = [
    "SESSION_CONFIG_FIELDS",
    "detect_live",
    "is_create_request",
    "validate_client_event",
    "validate_create_request",
    "validate_session_config",
]

_OPT_STR = Nullable(Str())
_EVENT_ID = _OPT_STR


def _obj(required: tuple[str, ...] = (), closed: bool = True, **fields: Shape) -> Obj:
    return Obj(fields, frozenset(required), closed)


def _text_part(kind: str, *, optional_type: bool = True) -> Obj:
    return _obj(("text",) if optional_type else ("text", "type"), text=Str(),
                type=Enum((kind,)) if not optional_type else Nullable(Enum((kind,))))


def _message(role: str, content: Shape) -> Obj:
    return _obj(
        ("content", "role"),
        content=content,
        role=Enum((role,)),
        id=_OPT_STR,
        status=Nullable(Enum(("incomplete", "completed"))),
        type=Nullable(Enum(("message",))),
    )


#: SDK ``InitialItem``: one text part per message (developer/user ``input_text``; assistant
#: ``text`` or ``output_text``)
_INITIAL_ITEM = Tagged(
    {
        "developer": _message("developer", ListOf(_text_part("input_text"), max_items=1)),
        "user": _message("user", ListOf(_text_part("input_text"), max_items=1)),
        "assistant": _message(
            "assistant",
            ListOf(
                Tagged(
                    {
                        "text": _text_part("text"),
                        "output_text": _text_part("output_text", optional_type=False),
                    }
                ),
                max_items=1,
            ),
        ),
    },
    key="role",
)

_AUDIO_FORMAT = Tagged(
    {
        names.AUDIO_PCM: _obj(("rate", "type"), type=Str(), rate=Enum((16000, 24000))),
        names.AUDIO_PCMU: _obj(("rate", "type"), type=Str(), rate=Enum((8000,))),
        names.AUDIO_PCMA: _obj(("rate", "type"), type=Str(), rate=Enum((8000,))),
    }
)
_VOICE = Nullable(Either((Str(), _obj(("id",), id=Str()))))
_AUDIO_OUTPUT = Nullable(_obj(voice=_VOICE))
#: a primary WebSocket chooses its format; WebRTC negotiates it, so its schema has no
#: ``format`` (reference §1.1: "the schema is strict (forks say 'rejected')")
_AUDIO_WS = Nullable(_obj(format=Nullable(_AUDIO_FORMAT), output=_AUDIO_OUTPUT))
_AUDIO_MEDIA = Nullable(_obj(output=_AUDIO_OUTPUT))

_FUNCTION_TOOL = _obj(
    ("name", "type"),
    name=Str(),
    type=Str(),
    description=_OPT_STR,
    parameters=Nullable(AnyObject()),
    strict=Nullable(Bool()),
)
#: SDK ``ResponsesDelegationConfig.tools``: the function tool is typed in full, the others
#: only by their ``type`` (their settings are the backend's)
HOSTED_TOOL_TYPES: tuple[str, ...] = (
    "web_search", "file_search", "code_interpreter", "shell", "image_generation", "mcp",
    "custom", "namespace", "tool_search", "programmatic_tool_calling", "computer",
    "apply_patch",
)
_TOOL = Tagged(
    {"function": _FUNCTION_TOOL}
    | {kind: _obj(("type",), closed=False, type=Str()) for kind in HOSTED_TOOL_TYPES}
)
_TOOL_CHOICE = Nullable(Either((Enum(("auto", "none", "required")), AnyObject())))
_RESPONSES_FIELDS: dict[str, Shape] = {
    "model": Str(),
    "instructions": _OPT_STR,
    "max_output_tokens": Nullable(Int(minimum=16)),
    "parallel_tool_calls": Nullable(Bool()),
    "reasoning": Nullable(
        _obj(
            effort=Nullable(Enum(("none", "minimal", "low", "medium", "high", "xhigh"))),
            summary=Nullable(Enum(("concise", "detailed", "auto"))),
        )
    ),
    "service_tier": Nullable(
        Enum(("auto", "default", "fast_tier_temp_pilot", "flex", "priority", "ultrafast"))
    ),
    "text": Nullable(_obj(verbosity=Nullable(Enum(("low", "medium", "high"))))),
    "tool_choice": _TOOL_CHOICE,
    "tools": Nullable(ListOf(_TOOL)),
}
_ACK_DELAY = Nullable(Int(minimum=0))
_DELEGATION_START = Nullable(
    Tagged(
        {
            "client": _obj(("type",), type=Str(), acknowledgement_delay_ms=_ACK_DELAY),
            "responses": _obj(
                ("responses", "type"),
                type=Str(),
                responses=Obj(_RESPONSES_FIELDS, frozenset({"model"})),
                acknowledgement_delay_ms=_ACK_DELAY,
            ),
            "decisions": _obj(
                ("decisions", "type"),
                type=Str(),
                decisions=AnyObject(),
                acknowledgement_delay_ms=_ACK_DELAY,
            ),
        }
    )
)
_DELEGATION_UPDATE = Nullable(
    Tagged(
        {
            "client": _obj(("type",), type=Str(), acknowledgement_delay_ms=_ACK_DELAY),
            "responses": _obj(
                ("type",),
                type=Str(),
                responses=Nullable(Obj(_RESPONSES_FIELDS)),
                acknowledgement_delay_ms=_ACK_DELAY,
            ),
            "decisions": _obj(
                ("type",),
                type=Str(),
                decisions=Nullable(AnyObject()),
                acknowledgement_delay_ms=_ACK_DELAY,
            ),
        }
    )
)
_CLIENT_CONFIG = Nullable(
    _obj(
        ("data_channel",),
        data_channel=_obj(
            allowed_client_events=Nullable(Either((Enum(("all",)), ListOf(Str())))),
            allowed_server_events=Nullable(
                Either(
                    (
                        Enum(("all",)),
                        ListOf(_obj(("type",), type=Str(), response_event=_OPT_STR)),
                    )
                )
            ),
        ),
    )
)


def _session_fields(audio: Shape) -> dict[str, Shape]:
    return {
        "model": Str(),
        "audio": audio,
        "client": _CLIENT_CONFIG,
        "delegation": _DELEGATION_START,
        "input": Nullable(ListOf(_INITIAL_ITEM, max_items=names.INPUT_MAX_ITEMS)),
        "instructions": _OPT_STR,
        "safety_identifier": _OPT_STR,
        "store": Nullable(Bool()),
        "triggers": Nullable(ListOf(AnyObject())),
    }


#: SDK ``SessionConfig`` (primary WebSocket: ``session.start``)
SESSION_CONFIG = Obj(_session_fields(_AUDIO_WS), frozenset({"model"}))
#: SDK ``MediaSessionConfigParam`` (the WebRTC create's ``session``: no ``audio.format``)
MEDIA_SESSION_CONFIG = Obj(_session_fields(_AUDIO_MEDIA), frozenset({"model"}))
SESSION_CONFIG_FIELDS: frozenset[str] = frozenset(SESSION_CONFIG.fields)

_RESPONSE_ITEM = Tagged(
    {
        "function_call_output": _obj(
            ("call_id", "output", "type"),
            type=Str(),
            call_id=Str(),
            output=Either((Str(), ListOf(AnyObject()))),
            id=_OPT_STR,
            status=Nullable(Enum(("in_progress", "completed", "incomplete"))),
        )
    },
    open_variants=True,
)
_APPEND = _obj(
    ("content", "delegation_id", "type"),
    type=Str(),
    event_id=_EVENT_ID,
    content=Str(),
    delegation_id=_OPT_STR,
)
_BARE = _obj(("type",), type=Str(), event_id=_EVENT_ID)

#: SDK ``ClientEvent`` union: one closed shape per type
CLIENT_EVENT_SHAPES: Mapping[str, Obj] = {
    names.SESSION_START: _obj(
        ("session", "type"), type=Str(), event_id=_EVENT_ID, session=SESSION_CONFIG
    ),
    names.SESSION_UPDATE: _obj(
        ("session", "type"),
        type=Str(),
        event_id=_EVENT_ID,
        session=_obj(delegation=_DELEGATION_UPDATE, triggers=Nullable(ListOf(AnyObject()))),
    ),
    names.INPUT_AUDIO_APPEND: _obj(("audio", "type"), type=Str(), event_id=_EVENT_ID,
                                   audio=Str()),
    names.INPUT_AUDIO_MUTE: _BARE,
    names.INPUT_AUDIO_UNMUTE: _BARE,
    names.INSTRUCTIONS_APPEND: _APPEND,
    names.THINKING_APPEND: _APPEND,
    names.COMMENTARY_APPEND: _APPEND,
    names.RESPONSE_ITEM_CREATE: _obj(("item", "type"), type=Str(), event_id=_EVENT_ID,
                                     item=_RESPONSE_ITEM),
    names.RESPONSE_CREATE: _BARE,
    names.SESSION_CLOSE: _BARE,
    names.FIXTURE_PLAY: _obj(("audio", "type"), type=Str(), event_id=_EVENT_ID, audio=Str()),
    # the SDK types decision.create's event_id as a required string, unlike every other event
    names.DECISION_CREATE: _obj(("event_id", "type"), type=Str(), event_id=Str()),
    names.DECISION_ITEM_CREATE: _obj(("item", "type"), type=Str(), event_id=_EVENT_ID,
                                     item=AnyObject()),
    names.DECISION_ITEM_DELETE: _obj(("item_id", "type"), type=Str(), event_id=_EVENT_ID,
                                     item_id=Str()),
}


def validate_client_event(event: Any) -> LiveError | None:
    """The first problem a GPT-Live server would report for this client event, or ``None``.

    ``param`` paths are relative to the event (``session.audio.format.rate``, ``content``).
    """
    if not isinstance(event, Mapping):
        return errors.invalid_type("event", "an object", describe(event))
    if "type" not in event:
        return errors.missing_required_parameter("type")
    kind = event["type"]
    if not isinstance(kind, str):
        return errors.invalid_type("type", "a string", describe(kind))
    shape = CLIENT_EVENT_SHAPES.get(kind)
    if shape is None:
        return errors.invalid_value("type", kind, names.CLIENT_EVENTS)
    problem = shape.check(event, "")
    if problem is not None:
        return problem
    if kind == names.SESSION_START:
        return _session_limits(event["session"])
    if kind in names.APPENDS and names.estimate_tokens(event["content"]) > names.APPEND_MAX_TOKENS:
        return errors.append_too_long(kind)
    return None


def validate_session_config(session: Any, *, webrtc: bool = False) -> LiveError | None:
    """A startup config (``session.start``'s ``session``, or the WebRTC create's), params
    prefixed ``session.`` as on the wire."""
    shape = MEDIA_SESSION_CONFIG if webrtc else SESSION_CONFIG
    problem = shape.check(session, "session")
    if problem is not None:
        return problem
    return _session_limits(session)


def _session_limits(session: Mapping[str, Any]) -> LiveError | None:
    instructions = session.get("instructions")
    if isinstance(instructions, str) and (
        names.estimate_tokens(instructions) > names.INSTRUCTIONS_MAX_TOKENS
    ):
        return errors.instructions_too_long()
    return None


#: the WebRTC create body (SDK ``LiveCreateParams``): ``{"session", "transport"}``
CREATE_REQUEST = _obj(
    ("session", "transport"),
    session=MEDIA_SESSION_CONFIG,
    transport=_obj(("sdp", "type"), type=Enum(("webrtc",)), sdp=Str()),
)


def is_create_request(payload: Mapping[str, Any]) -> bool:
    """A ``POST /v1/live/sessions`` body rather than an event or a bare config."""
    return "type" not in payload and "transport" in payload


def validate_create_request(body: Any) -> LiveError | None:
    """The WebRTC create body: a media session config and ``transport: {type, sdp}``."""
    problem = CREATE_REQUEST.check(body, "")
    if problem is not None:
        return problem
    return _session_limits(body["session"])


#: keys only a GPT-Live config has (a Realtime session has none of them)
_LIVE_ONLY_SESSION_KEYS = frozenset({"delegation", "input", "store", "triggers",
                                     "safety_identifier", "client"})
#: ``session.close`` is also an (undocumented) Azure Realtime event, so it is not Live-only
_LIVE_ONLY_EVENTS = frozenset(names.CLIENT_EVENTS) - {names.SESSION_UPDATE,
                                                      names.RESPONSE_CREATE, names.SESSION_CLOSE}


def detect_live(payload: Mapping[str, Any]) -> bool:
    """Whether a JSON payload is GPT-Live rather than Realtime (for ``voicechat validate``).

    A Live-only event type decides; ``session.update`` is Live when its session holds only Live
    keys (``delegation``, ``triggers``); a bare session is Live with a ``gpt-live-*`` model or a
    Live-only key.
    """
    if is_create_request(payload):
        return True
    kind = payload.get("type")
    if isinstance(kind, str) and "." in kind:
        if kind in _LIVE_ONLY_EVENTS:
            return True
        if kind == names.SESSION_UPDATE:
            session = payload.get("session")
            return isinstance(session, Mapping) and bool(session) and set(session) <= {
                "delegation", "triggers"}
        return False
    model = payload.get("model")
    if isinstance(model, str) and names.is_live_model(model):
        return True
    return bool(_LIVE_ONLY_SESSION_KEYS & set(payload))
