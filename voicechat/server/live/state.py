"""One GPT-Live session's configuration and rules, sans-IO: what ``session.start`` fixes, what
``session.update`` may change, which delegations are open, what a command may name.

The resource (``session.started/updated/closed``'s ``session``) follows the SDK's
``SessionResource``: ``id``, ``expires_at``, ``model``, ``status: "active"`` (also in the final
snapshot) and the resolved ``audio``, ``delegation``, ``input``, ``instructions``, ``store``.
Decided where the docs are silent: omitted ``delegation`` resolves to ``{"type": "client"}``
(the documented default) and blank ``instructions`` to :data:`DEFAULT_INSTRUCTIONS`.
``session.update`` merges ``delegation.responses`` field by field (OpenAI's wording: "omitted
settings keep their values"; a list such as ``tools`` is replaced whole, as one probe saw).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from voicechat.protocol.live import errors, names
from voicechat.protocol.live.errors import LiveError
from voicechat.protocol.live.validation import validate_session_config

JSON = dict[str, Any]

#: [infer] what blank instructions resolve to (the real default prompt is not public)
DEFAULT_INSTRUCTIONS = "You are a helpful voice assistant. Keep answers short."


class LiveState:
    """The session's resource and rules; the engine asks it before acting on a command."""

    def __init__(self, *, session_id: str, expires_at: int, webrtc: bool) -> None:
        self.webrtc = webrtc
        self.started = False
        self.resource: JSON = {"id": session_id, "expires_at": expires_at,
                               "model": names.DEFAULT_MODEL, "status": "active"}
        #: client delegations the model opened and the client may answer (by id)
        self.client_delegations: set[str] = set()
        #: backend function calls waiting for their ``function_call_output`` (call_id → name)
        self.pending_calls: dict[str, str] = {}
        #: outputs received for pending calls, in order (call_id → output text)
        self.outputs: dict[str, str] = {}

    # --- startup ------------------------------------------------------------------------------

    def start(self, config: Any) -> LiveError | None:
        """Validate and resolve the startup config (refused whole: no ``session.started``)."""
        if self.started:
            return errors.session_already_started(webrtc=self.webrtc)
        problem = validate_session_config(config, webrtc=self.webrtc)
        if problem is not None:
            return problem
        assert isinstance(config, Mapping)
        audio: JSON = {}
        requested_audio = config.get("audio") or {}
        if not self.webrtc:
            audio["format"] = dict(requested_audio.get("format") or names.DEFAULT_AUDIO_FORMAT)
        output = requested_audio.get("output") or {}
        audio["output"] = {"voice": output.get("voice") or names.DEFAULT_VOICE}
        instructions = config.get("instructions")
        self.resource.update(
            model=config["model"],
            audio=audio,
            delegation=copy.deepcopy(config.get("delegation")) or {"type": "client"},
            input=copy.deepcopy(config.get("input") or []),
            instructions=instructions if isinstance(instructions, str) and instructions.strip()
            else DEFAULT_INSTRUCTIONS,
            store=bool(config.get("store")),
        )
        for key in ("client", "safety_identifier", "triggers"):
            if config.get(key) is not None:
                self.resource[key] = copy.deepcopy(config[key])
        self.started = True
        return None

    # --- what the session is ------------------------------------------------------------------

    @property
    def delegation_type(self) -> str:
        return str(self.delegation.get("type", "client"))

    @property
    def delegation(self) -> JSON:
        value = self.resource.get("delegation")
        return value if isinstance(value, dict) else {"type": "client"}

    @property
    def responses_config(self) -> JSON:
        value = self.delegation.get("responses")
        return value if isinstance(value, dict) else {}

    @property
    def audio_format(self) -> JSON:
        fmt = self.resource.get("audio", {}).get("format")
        return fmt if isinstance(fmt, dict) else dict(names.DEFAULT_AUDIO_FORMAT)

    @property
    def instructions(self) -> str:
        return str(self.resource.get("instructions") or DEFAULT_INSTRUCTIONS)

    def startup_history(self) -> list[JSON]:
        """The startup ``input`` as chat messages (developer → system)."""
        out: list[JSON] = []
        for item in self.resource.get("input") or []:
            role = item.get("role")
            parts = item.get("content") or []
            text = parts[0].get("text", "") if parts else ""
            out.append({"role": "system" if role == "developer" else role, "content": text})
        return out

    # --- commands -----------------------------------------------------------------------------

    def update(self, session: Mapping[str, Any]) -> LiveError | None:
        """``session.update`` (already shape-checked): the delegation's settings within its
        type, and triggers. ``delegation: null`` changes nothing (documented)."""
        delegation = session.get("delegation")
        if isinstance(delegation, Mapping):
            wanted = delegation.get("type")
            if wanted != self.delegation_type:
                return errors.immutable_delegation_type(self.delegation_type, wanted)
            merged = dict(self.delegation)
            for key, value in delegation.items():
                if key == "responses" and isinstance(value, Mapping):
                    responses = dict(self.responses_config)
                    responses.update(copy.deepcopy(dict(value)))
                    merged["responses"] = responses
                elif value is not None:
                    merged[key] = copy.deepcopy(value)
            self.resource["delegation"] = merged
        if "triggers" in session and session["triggers"] is not None:
            self.resource["triggers"] = copy.deepcopy(session["triggers"])
        return None

    def check_delegation_id(self, delegation_id: Any) -> LiveError | None:
        """An append's ``delegation_id``: null, or an open client delegation (never under
        Responses delegation)."""
        if delegation_id is None:
            return None
        if self.delegation_type == "responses":
            return errors.delegation_id_under_responses()
        if delegation_id not in self.client_delegations:
            return errors.unknown_delegation(str(delegation_id))
        return None

    def check_responses_command(self, kind: str) -> LiveError | None:
        if self.delegation_type != "responses":
            return errors.responses_delegation_required(kind)
        return None

    def add_output(self, item: Mapping[str, Any]) -> LiveError | None:
        """``response.item.create`` of a ``function_call_output``: must answer a pending call."""
        call_id = str(item.get("call_id"))
        if call_id not in self.pending_calls:
            return errors.unknown_call(call_id)
        output = item.get("output")
        self.outputs[call_id] = output if isinstance(output, str) else str(output)
        return None

    def missing_outputs(self) -> list[str]:
        return [call_id for call_id in self.pending_calls if call_id not in self.outputs]

    def take_answered_calls(self) -> list[tuple[str, str, str]]:
        """The answered calls as (call_id, name, output), clearing them."""
        answered = [(c, n, self.outputs[c]) for c, n in self.pending_calls.items()]
        self.pending_calls.clear()
        self.outputs.clear()
        return answered
