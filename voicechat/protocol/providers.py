"""Providers as data: what each Realtime-shaped service differs in, in one record per provider.

Why a table and not branches: xAI's Grok Voice and Azure AI Voice Live speak the Realtime
protocol with a dozen quirks each (``docs/howto/providers.md``; the sources in the reference's
``providers.md`` §1, §3, §8). Written as ``if provider == …`` those quirks would spread into the
transport, the core, the doctor and the local server and be fixed in each; as a :class:`Profile`
every one of them reads the same record, the way LiveKit's ``RealtimeCapabilities`` works. The
core stays GA-canonical: a profile rewrites what leaves (:func:`outbound_event`) and what
arrives (:class:`InboundAliases`) at the edge, beside the beta mapping of
:mod:`voicechat.protocol.mapping`.

What a profile holds: where to connect (URL path and query, how the key travels), the dialect,
the session rewrites (xAI keeps ``voice`` and ``turn_detection`` at the top level of the
session), inbound event aliases (xAI's cumulative ``…transcription.updated`` and its interim
``…completed`` with ``status: "in_progress"`` become deltas), capabilities (WebRTC, truncate,
per-response ``tool_choice``, whether ``session.created`` comes, how usage is billed, the
session cap), the default voice, a per-minute price, and the error codes that are benign races.

Sans-IO: no clock, no I/O; the callers pass events in and take events out.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from voicechat.protocol.dialect import Dialect

# moved to provider_hints (what a reader of a long log needs alone); re-exported here
from voicechat.protocol.provider_hints import PROVIDER_HINT_TYPES as PROVIDER_HINT_TYPES
from voicechat.protocol.provider_hints import PROXY_SESSION as PROXY_SESSION
from voicechat.protocol.provider_hints import READY_EVENTS as READY_EVENTS
from voicechat.protocol.provider_hints import VOICE_LIVE as VOICE_LIVE
from voicechat.protocol.provider_hints import XAI as XAI
from voicechat.protocol.provider_hints import XAI_INPUT_UPDATED as XAI_INPUT_UPDATED
from voicechat.protocol.provider_hints import provider_from_event as provider_from_event
from voicechat.protocol.provider_hints import turn_detections

Usage = Literal["tokens", "minutes", "none"]

#: Error codes every Realtime-shaped service uses for a race the client cannot avoid (a cancel
#: that arrived after the response ended): said as information, never as a failure.
BENIGN_ERROR_CODES = frozenset({"response_cancel_not_active"})

#: The user transcript's delta, the canonical event the aliases below turn into.
INPUT_DELTA = "conversation.item.input_audio_transcription.delta"
INPUT_COMPLETED = "conversation.item.input_audio_transcription.completed"


class Auth(StrEnum):
    """How the long-lived key travels on the WebSocket handshake."""

    BEARER = "bearer"  # Authorization: Bearer <key>
    API_KEY = "api-key"  # api-key: <key> (Azure)


@dataclass(frozen=True)
class Capabilities:
    """What the service can do, in LiveKit's style: the client asks the record, not the name.

    ``sends_session_created``: whether ``session.created`` is sure to come (xAI: not sure, so
    nothing may wait on it; :data:`READY_EVENTS`). ``usage``: what ``response.done.usage``
    holds — token counts, nothing because the service bills by the minute, or nothing at all.
    ``session_cap_s``: the longest session the service allows (``None``: not known).
    ``manual_turns``: whether ``turn_detection: null`` (push-to-talk) is known to work.
    """

    webrtc: bool = True
    truncate: bool = True
    per_response_tool_choice: bool = True
    sends_session_created: bool = True
    usage: Usage = "tokens"
    session_cap_s: int | None = 3600
    manual_turns: bool = True


@dataclass(frozen=True)
class Profile:
    """One provider of the Realtime family (or the refusal of one that is not built yet).

    ``ws_path`` and ``ws_query`` are the WebSocket's path and fixed query under the endpoint's
    base URL (the model goes in ``model_param``); ``browser_subprotocol`` is the prefix a
    browser puts its ephemeral key behind (xAI: ``xai-client-secret.<token>``). ``key_env`` are
    the environment variables the key is read from, the first set one wins; ``endpoint_env``
    names the one that holds the base URL when there is no public one (Voice Live: every
    resource has its own host). ``hoisted`` are the GA session fields the service wants at the
    top level of the session, by their GA path. ``unavailable`` says why a provider cannot be
    used yet, naming what is missing.
    """

    name: str
    title: str
    dialect: Dialect = Dialect.GA
    azure: bool = False
    family: str = "realtime"
    base_url: str | None = None
    ws_path: str = "/v1/realtime"
    ws_query: tuple[tuple[str, str], ...] = ()
    model_param: str = "model"
    auth: Auth = Auth.BEARER
    browser_subprotocol: str | None = None
    key_env: tuple[str, ...] = ()
    endpoint_env: str | None = None
    default_model: str = "gpt-realtime"
    default_voice: str | None = None
    hoisted: tuple[tuple[str, tuple[str, ...]], ...] = ()
    drop_session_fields: tuple[str, ...] = ()
    capabilities: Capabilities = field(default_factory=Capabilities)
    price_per_minute_usd: float | None = None
    benign_error_codes: frozenset[str] = BENIGN_ERROR_CODES
    benign_error_phrases: tuple[str, ...] = ()
    #: session fields only this service knows (accepted by ``validate --provider``, not sent
    #: by voicechat unless the user's ``[session]`` table has them)
    session_extras: frozenset[str] = frozenset()
    #: turn-detection types only this service knows, and the GA type they behave like
    vad_types: tuple[tuple[str, str], ...] = ()
    #: the session's ``voice`` may be an object (Voice Live's Azure and OpenAI voices,
    #: ``{"name": …, "type": "azure-standard"}``): checked as the voice its ``name`` gives
    voice_objects: bool = False
    #: server events only this service sends that carry nothing for the session (taken in
    #: silently rather than as "unknown")
    quiet_events: frozenset[str] = frozenset()
    #: the transcription model to ask for when the user names none (``None``: voicechat's)
    transcription_model: str | None = None
    unavailable: str | None = None

    @property
    def rewrites(self) -> bool:
        """Whether events need this profile's edge at all (OpenAI and Azure OpenAI do not)."""
        return bool(self.hoisted or self.drop_session_fields
                    or not self.capabilities.per_response_tool_choice)

    def uses_api_key_header(self) -> bool:
        return self.auth is Auth.API_KEY


OPENAI = "openai"
AZURE = "azure"
GEMINI = "gemini"

#: xAI's list price: a flat rate per connected minute (reference providers.md §1, "limits";
#: ⚠ unverified third-party figure, overridable like every price).
XAI_PRICE_PER_MINUTE_USD = 0.05
#: The Voice Live API version the local server and the docs use (its 2026-04-10 reference).
VOICE_LIVE_API_VERSION = "2026-04-10"

PROFILES: Mapping[str, Profile] = {
    OPENAI: Profile(
        OPENAI, "OpenAI", base_url="https://api.openai.com", key_env=("OPENAI_API_KEY",)),
    AZURE: Profile(
        AZURE, "Azure OpenAI", azure=True, auth=Auth.API_KEY,
        key_env=("AZURE_OPENAI_API_KEY",), endpoint_env="AZURE_OPENAI_ENDPOINT"),
    XAI: Profile(
        XAI, "xAI Grok Voice",
        base_url="https://api.x.ai",
        browser_subprotocol="xai-client-secret.",
        key_env=("XAI_API_KEY",),
        default_model="grok-voice-latest",
        # ⚠ the sources disagree on the default voice (Ara or eve): send one always
        default_voice="Ara",
        hoisted=(("voice", ("audio", "output", "voice")),
                 ("turn_detection", ("audio", "input", "turn_detection"))),
        # the model is on the URL only; session.update cannot change it
        drop_session_fields=("model",),
        capabilities=Capabilities(
            webrtc=False, truncate=True, per_response_tool_choice=False,
            sends_session_created=False, usage="minutes", session_cap_s=1800,
            manual_turns=False),
        price_per_minute_usd=XAI_PRICE_PER_MINUTE_USD,
        benign_error_codes=BENIGN_ERROR_CODES | {"conversation_already_has_active_response"},
        benign_error_phrases=("no active response", "cancellation failed"),
        quiet_events=frozenset({"input_audio_buffer.dtmf_event_received"}),
        transcription_model="grok-transcribe",
    ),
    VOICE_LIVE: Profile(
        VOICE_LIVE, "Azure AI Voice Live",
        dialect=Dialect.BETA, azure=True,
        ws_path="/voice-live/realtime",
        ws_query=(("api-version", VOICE_LIVE_API_VERSION),),
        auth=Auth.API_KEY,
        key_env=("AZURE_VOICELIVE_API_KEY",),
        endpoint_env="AZURE_VOICELIVE_ENDPOINT",
        default_model="gpt-realtime",
        # WebRTC only in a preview API version whose types the GA SDK removed: WebSocket only
        capabilities=Capabilities(webrtc=False, session_cap_s=None),
        session_extras=frozenset({
            "input_audio_echo_cancellation", "avatar", "animation",
            "input_audio_sampling_rate", "output_audio_timestamp_types"}),
        vad_types=(("azure_semantic_vad", "server_vad"),
                   ("azure_semantic_vad_en", "server_vad"),
                   ("azure_semantic_vad_multilingual", "server_vad")),
        voice_objects=True,
    ),
    GEMINI: Profile(
        GEMINI, "Google Gemini Live", family="gemini",
        base_url="https://generativelanguage.googleapis.com",
        key_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        default_model="gemini-live",
        capabilities=Capabilities(webrtc=False, truncate=False, per_response_tool_choice=False,
                                  sends_session_created=False, usage="tokens"),
    ),
}

NAMES: tuple[str, ...] = tuple(PROFILES)


class UnknownProvider(ValueError):
    """A provider name no profile has; the message lists the ones there are."""


def profile_for(name: str) -> Profile:
    """The profile called ``name``; :class:`UnknownProvider` naming the choices otherwise."""
    profile = PROFILES.get(name)
    if profile is None:
        raise UnknownProvider(f"{name!r} is not a provider voicechat knows; use one of "
                              f"{', '.join(NAMES)}")
    return profile


# --- outbound: canonical (GA) → the service's shape ----------------------------------------------


def to_wire_session(session: Mapping[str, Any], profile: Profile) -> dict[str, Any]:
    """A GA session object as ``profile``'s service wants it (a copy; the input is untouched).

    xAI: ``audio.output.voice`` → ``voice`` and ``audio.input.turn_detection`` →
    ``turn_detection`` (formats, transcription and speed stay nested); no ``model``. An
    ``audio`` object left empty by the move is dropped, as the service never shows one.
    """
    out = copy.deepcopy(dict(session))
    for name in profile.drop_session_fields:
        out.pop(name, None)
    for top, path in profile.hoisted:
        found, value = _pop_path(out, path)
        if found:
            out[top] = value
    _prune_empty(out, ("audio",))
    return out


def outbound_event(event: Mapping[str, Any], profile: Profile) -> dict[str, Any]:
    """A canonical client event rendered for ``profile`` (beta mapping is the caller's).

    ``session.update`` gets :func:`to_wire_session`; ``response.create`` loses a per-response
    ``tool_choice`` where the service has none (xAI ignores or refuses it).
    """
    kind = event.get("type")
    if kind == "session.update" and isinstance(event.get("session"), Mapping):
        return {**event, "session": to_wire_session(event["session"], profile)}
    response = event.get("response")
    if (kind == "response.create" and isinstance(response, Mapping)
            and not profile.capabilities.per_response_tool_choice and "tool_choice" in response):
        return {**event, "response": {k: v for k, v in response.items() if k != "tool_choice"}}
    return dict(event)


def with_default_voice(session: Mapping[str, Any], profile: Profile) -> dict[str, Any]:
    """``session`` (GA) with the profile's default voice where it names none: the sources
    disagree on xAI's own default, so the voice is always sent explicitly."""
    out = copy.deepcopy(dict(session))
    if profile.default_voice is None or out.get("type") == "transcription":
        return out
    output = out.setdefault("audio", {}).setdefault("output", {})
    if isinstance(output, dict) and "voice" not in output:
        output["voice"] = profile.default_voice
    return out


# --- inbound: the service's shape → canonical ---------------------------------------------------


def from_wire_session(session: Mapping[str, Any], profile: Profile) -> dict[str, Any]:
    """The inverse of :func:`to_wire_session` for a reported or linted session: top-level
    ``voice``/``turn_detection`` go back under ``audio`` (a nested value already there wins)."""
    out = copy.deepcopy(dict(session))
    for top, path in profile.hoisted:
        if top not in out:
            continue
        value = out.pop(top)
        _set_path_default(out, path, value)
    return out


class InboundAliases:
    """One connection's inbound edge for a profile: aliases to canonical events (stateful).

    xAI streams the user's transcript as ``…transcription.updated`` with the *cumulative* text
    so far (some ports saw a ``delta`` field instead), and re-sends ``…completed`` with
    ``status: "in_progress"`` as an interim; both become canonical ``…transcription.delta``
    events carrying what is new, and the last ``…completed`` (no status, or ``completed``) is
    the final one. A cumulative text that does not extend what was shown (the recogniser
    changed its mind) yields nothing: the final ``…completed`` sets the whole text anyway.
    Session events get :func:`from_wire_session`.
    """

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._seen: dict[str, str] = {}  # item id -> the cumulative transcript shown so far

    def canonical(self, event: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The canonical form of ``event`` (the same object when it needs no change: audio
        deltas pass with no copy), or ``None`` when it carries nothing new."""
        kind = event.get("type")
        if not isinstance(kind, str):
            return event  # the session says what is wrong with it
        if kind in self.profile.quiet_events:
            return None
        if kind in ("session.created", "session.updated") and isinstance(
                event.get("session"), Mapping) and self.profile.hoisted:
            return {**event, "session": from_wire_session(event["session"], self.profile)}
        if kind == XAI_INPUT_UPDATED:
            return self._interim(event)
        if kind == INPUT_COMPLETED:
            if event.get("status") == "in_progress":
                return self._interim(event)
            item = event.get("item_id")
            if isinstance(item, str):
                self._seen.pop(item, None)
        return event

    def _interim(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        item = event.get("item_id")
        if not isinstance(item, str):
            return None
        delta = event.get("delta")
        if not isinstance(delta, str):
            text = event.get("transcript")
            if not isinstance(text, str):
                return None
            before = self._seen.get(item, "")
            if not text.startswith(before):
                return None
            delta = text[len(before):]
            self._seen[item] = text
        else:
            self._seen[item] = self._seen.get(item, "") + delta
        if not delta:
            return None
        return {"type": INPUT_DELTA, "event_id": event.get("event_id", ""), "item_id": item,
                "content_index": event.get("content_index", 0), "delta": delta}


# --- errors, readiness, cost ---------------------------------------------------------------


def is_benign_error(error: Any, profile: Profile) -> bool:
    """Whether an ``error`` event's ``error`` object is a race the client cannot avoid (a
    cancel after the response ended), to be said as information rather than as a failure."""
    if not isinstance(error, Mapping):
        return False
    if error.get("code") in profile.benign_error_codes:
        return True
    message = str(error.get("message") or "").lower()
    return any(phrase in message for phrase in profile.benign_error_phrases)


def is_benign_race(error: Any) -> bool:
    """:func:`is_benign_error` under any profile: for the faces that print a log's ``error``
    events without knowing which service sent them (``--no-ui``'s conversation lines)."""
    return any(is_benign_error(error, profile) for profile in PROFILES.values()) and not (
        isinstance(error, Mapping)
        and error.get("code") == "conversation_already_has_active_response")


def is_ready(kind: Any) -> bool:
    """Whether an event of type ``kind`` says the server session is up (:data:`READY_EVENTS`)."""
    return kind in READY_EVENTS


def minutes_cost_usd(profile: Profile, seconds: float) -> float | None:
    """What ``seconds`` connected cost at the profile's per-minute price (``None``: it bills
    by tokens, or its price is unknown): pro rata, an estimate like every price here."""
    if profile.price_per_minute_usd is None or seconds < 0:
        return None
    return profile.price_per_minute_usd * seconds / 60.0


# --- linting a session against a profile ----------------------------------------------------


def validation_session(session: Mapping[str, Any], profile: Profile) -> dict[str, Any]:
    """``session`` (in the service's own shape) as the dialect's validator can judge it: hoisted
    fields put back, the service's own extras taken out and its own VAD types read as the type
    they behave like. What is taken out is what :func:`profile_problems` checks instead."""
    out = from_wire_session(session, profile)
    for name in profile.session_extras:
        out.pop(name, None)
    voice = out.get("voice")
    if profile.voice_objects and isinstance(voice, Mapping) and isinstance(voice.get("name"), str):
        out["voice"] = voice["name"]
    aliases = dict(profile.vad_types)
    for td in turn_detections(out):
        kind = td.get("type")
        if isinstance(kind, str) and kind in aliases:
            td["type"] = aliases[kind]
            for extra in ("end_of_utterance_detection", "remove_filler_words", "languages",
                          "speech_duration_ms", "auto_truncate"):
                td.pop(extra, None)
    return out


@dataclass(frozen=True)
class ProfileProblem:
    """Something the service would refuse or ignore (``error``), or that is risky there
    (``warning``), which the dialect's schema cannot tell."""

    level: Literal["error", "warning"]
    message: str


def profile_problems(session: Mapping[str, Any], profile: Profile) -> list[ProfileProblem]:
    """What ``session`` (in the service's own shape) gets wrong for ``profile``'s service."""
    problems: list[ProfileProblem] = []
    if profile.name != XAI:
        return problems
    if "model" in session:
        problems.append(ProfileProblem("error", "session.model: xAI takes the model only on "
                                       "the URL (?model=grok-voice-…); session.update cannot "
                                       "change it"))
    audio = session.get("audio")
    output = audio.get("output") if isinstance(audio, Mapping) else None
    inp = audio.get("input") if isinstance(audio, Mapping) else None
    if isinstance(output, Mapping) and "voice" in output:
        problems.append(ProfileProblem("error", "session.audio.output.voice: xAI reads the "
                                       "voice at the top level; move it to session.voice"))
    if isinstance(inp, Mapping) and "turn_detection" in inp:
        problems.append(ProfileProblem("error", "session.audio.input.turn_detection: xAI "
                                       "reads it at the top level; move it to "
                                       "session.turn_detection"))
    if "voice" not in session and not (isinstance(output, Mapping) and "voice" in output):
        problems.append(ProfileProblem("warning", "session.voice: not set; the sources "
                                       "disagree on xAI's default voice, so send one (e.g. "
                                       f"{profile.default_voice})"))
    if "turn_detection" in session and session["turn_detection"] is None:
        problems.append(ProfileProblem("warning", "session.turn_detection: null (manual "
                                       "turns) is not stable on xAI"))
    return problems


# --- helpers -------------------------------------------------------------------------------------


def _pop_path(obj: dict[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    node: Any = obj
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or path[-1] not in node:
        return False, None
    return True, node.pop(path[-1])


def _set_path_default(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = obj
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node.setdefault(path[-1], value)


def _prune_empty(obj: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, dict):
            for inner in [k for k, v in value.items() if isinstance(v, dict) and not v]:
                del value[inner]
            if not value:
                del obj[key]
