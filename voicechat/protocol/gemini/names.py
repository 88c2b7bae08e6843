"""Gemini Live paths, message keys, audio formats and the few values the protocol fixes.

Keys are written in proto-JSON's lowerCamelCase, as Google's docs write them; the service (a
protobuf JSON parser) also accepts the snake_case field names, and the official Python SDK
sends ``realtime_input``/``tool_response``/``client_content`` that way
(:mod:`voicechat.protocol.gemini.spelling` reads both).
"""

from __future__ import annotations

# --- endpoints --------------------------------------------------------------------------------

HOST = "generativelanguage.googleapis.com"
#: the Developer API's WebSocket: ``?key=KEY`` on the URL, or the SDK's ``x-goog-api-key`` header
PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
#: the same service on the ``v1alpha`` surface (the SDK's ``api_version="v1alpha"``)
ALPHA_PATH = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent"
#: and on ``v1``: google-genai 3.3.0 defaults the Developer API to ``v1``
#: (``_api_client.GOOGLE_AI_API_DEFAULT_VERSION``), so its live client connects here unless told
#: otherwise, while Google's WebSocket docs show ``v1beta``. Decided: serve all three.
V1_PATH = "/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent"
#: ephemeral tokens: ``?access_token=auth_tokens/…`` or the SDK's ``Authorization: Token …``.
#: Sources disagree on the version (providers.md §13: translated pages say v1beta; the English
#: page and the SDK's warning say v1alpha only). Decided: v1alpha, as the SDK enforces; the
#: local peer refuses a token on the plain paths with 1008 saying so.
CONSTRAINED_PATH = (
    "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained"
)
#: ``POST /v1alpha/auth_tokens`` mints one (the SDK's ``client.auth_tokens.create``)
AUTH_TOKENS_PATH = "/v1alpha/auth_tokens"
#: the SDK's header for a project key, and the header carrying an ephemeral token
API_KEY_HEADER = "x-goog-api-key"
TOKEN_SCHEME = "Token"
TOKEN_PREFIX = "auth_tokens/"

# --- client → server (one key per message) ----------------------------------------------------

SETUP = "setup"
CLIENT_CONTENT = "clientContent"
REALTIME_INPUT = "realtimeInput"
TOOL_RESPONSE = "toolResponse"
#: SDK 3.3.0 types it (mid-session instructions and tools, Gemini 3.8 on Vertex); not served
#: by the Developer API models the local peer imitates (providers.md §2 "mid-session changes")
CONTEXT_UPDATE = "contextUpdate"
CLIENT_MESSAGES: tuple[str, ...] = (SETUP, CLIENT_CONTENT, REALTIME_INPUT, TOOL_RESPONSE,
                                    CONTEXT_UPDATE)

#: ``realtimeInput`` carries exactly one of these (the SDK refuses two in one call)
AUDIO = "audio"
VIDEO = "video"
TEXT = "text"
AUDIO_STREAM_END = "audioStreamEnd"
ACTIVITY_START = "activityStart"
ACTIVITY_END = "activityEnd"
#: the legacy list of blobs: newer models close the socket 1007 on it
MEDIA_CHUNKS = "mediaChunks"
REALTIME_INPUT_FIELDS: tuple[str, ...] = (AUDIO, VIDEO, TEXT, AUDIO_STREAM_END, ACTIVITY_START,
                                          ACTIVITY_END, MEDIA_CHUNKS)

#: ``LiveClientSetup``'s fields (SDK 3.3.0), the only keys ``setup`` may hold
SETUP_FIELDS: tuple[str, ...] = (
    "model", "generationConfig", "systemInstruction", "tools", "sessionResumption",
    "contextWindowCompression", "inputAudioTranscription", "outputAudioTranscription",
    "proactivity", "explicitVadSignal", "historyConfig", "avatarConfig", "safetySettings",
    "labels", "realtimeInputConfig",
)

# --- server → client (one or more keys per frame) ---------------------------------------------

SETUP_COMPLETE = "setupComplete"
SERVER_CONTENT = "serverContent"
TOOL_CALL = "toolCall"
TOOL_CALL_CANCELLATION = "toolCallCancellation"
GO_AWAY = "goAway"
SESSION_RESUMPTION_UPDATE = "sessionResumptionUpdate"
USAGE_METADATA = "usageMetadata"
VOICE_ACTIVITY = "voiceActivity"
VOICE_ACTIVITY_DETECTION_SIGNAL = "voiceActivityDetectionSignal"
#: ``LiveServerMessage``'s fields (SDK 3.3.0)
SERVER_MESSAGES: tuple[str, ...] = (
    SETUP_COMPLETE, SERVER_CONTENT, TOOL_CALL, TOOL_CALL_CANCELLATION, USAGE_METADATA, GO_AWAY,
    SESSION_RESUMPTION_UPDATE, VOICE_ACTIVITY_DETECTION_SIGNAL, VOICE_ACTIVITY,
)

#: ``serverContent`` pieces
MODEL_TURN = "modelTurn"
INPUT_TRANSCRIPTION = "inputTranscription"
OUTPUT_TRANSCRIPTION = "outputTranscription"
GENERATION_COMPLETE = "generationComplete"
TURN_COMPLETE = "turnComplete"
INTERRUPTED = "interrupted"

# --- audio ------------------------------------------------------------------------------------

PCM = "audio/pcm"
#: input is 16 kHz natively; the service resamples another declared rate (docs)
INPUT_RATE = 16000
#: output is always 24 kHz
OUTPUT_RATE = 24000
INPUT_MIME = f"{PCM};rate={INPUT_RATE}"
OUTPUT_MIME = f"{PCM};rate={OUTPUT_RATE}"
#: the rates a declared ``rate=`` may hold here. [infer] Google states no range; it resamples
#: "as needed". Decided: 8–48 kHz, the range every voice path uses, so a typo (``rate=16``,
#: ``rate=160000``) is caught as the 1007 a payload the service cannot use gets.
MIN_RATE, MAX_RATE = 8000, 48000

# --- config values ----------------------------------------------------------------------------

DEFAULT_MODEL = "models/gemini-2.5-flash-native-audio-preview-12-2025"
#: the prebuilt voices the docs list (Puck is the default)
VOICES: tuple[str, ...] = ("Puck", "Charon", "Kore", "Fenrir", "Aoede", "Leda", "Orus",
                           "Zephyr")
DEFAULT_VOICE = "Puck"
MODALITIES: tuple[str, ...] = ("AUDIO", "TEXT")
#: ``realtimeInputConfig.activityHandling``: whether the user's speech interrupts the model
INTERRUPTS = "START_OF_ACTIVITY_INTERRUPTS"
NO_INTERRUPTION = "NO_INTERRUPTION"
#: ``functionResponses[].scheduling`` (non-blocking functions only)
SCHEDULING: tuple[str, ...] = ("SCHEDULING_UNSPECIFIED", "SILENT", "WHEN_IDLE", "INTERRUPT")

# --- limits -----------------------------------------------------------------------------------

#: a connection lasts about 10 minutes, announced by ``goAway`` before it closes
CONNECTION_LIFETIME_S = 600.0
#: a WebSocket close reason holds at most 123 bytes (RFC 6455 §5.5: 125 less the code)
MAX_CLOSE_REASON_BYTES = 123


def model_name(model: str) -> str:
    """``gemini-…`` as the service names it: ``models/gemini-…`` (the SDK adds the prefix)."""
    return model if "/" in model else f"models/{model}"
