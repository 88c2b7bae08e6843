"""Every doctor rule, in report order. Ids are public (CI configs match on them): never rename."""

from __future__ import annotations

from voicechat.doctor.rules.base import Rule
from voicechat.doctor.rules.gateway import GatewayRefusal, RetiredBeta, SilentClose
from voicechat.doctor.rules.gemini_audio import GeminiAudioRateMismatch
from voicechat.doctor.rules.gemini_session import (
    GeminiClosedWithError,
    GeminiGoAwayNotResumed,
    GeminiResumedWithStaleHandle,
    GeminiToolCallUnanswered,
)
from voicechat.doctor.rules.language import (
    ReplyLanguage,
    TranscriptHallucination,
    TranscriptionLanguage,
)
from voicechat.doctor.rules.latency import SlowFirstAudio
from voicechat.doctor.rules.link import ServerSilent
from voicechat.doctor.rules.live_media import LiveDelegationUnanswered, LiveMicPausedWhileSpeaking
from voicechat.doctor.rules.live_session import (
    LiveAppendOverLimit,
    LiveFirstEventNotStart,
    LiveUnknownConfigField,
)
from voicechat.doctor.rules.mcp import McpApprovalUnanswered
from voicechat.doctor.rules.mic import MicNotResumed
from voicechat.doctor.rules.params import DialectMismatch, InvalidSessionParam
from voicechat.doctor.rules.providers import SilentStart
from voicechat.doctor.rules.responses import (
    CancelWithoutResponse,
    ClientCancelledResponse,
    ConcurrentResponse,
)
from voicechat.doctor.rules.server_errors import (
    CommitTooSmall,
    RateLimited,
    SessionExpired,
    TruncateOutOfRange,
)
from voicechat.doctor.rules.tool_calls import ToolCallUnanswered, ToolOutputUnknownCall
from voicechat.doctor.rules.tool_turns import StaleToolResponse, ToolOutputWithoutResponse
from voicechat.doctor.rules.transcription import TranscriptionFailed, TranscriptionOffOrEmpty
from voicechat.doctor.rules.turn_end import SpeechNeverEnded
from voicechat.doctor.rules.vad import SelfInterruption, ShortSpeechSegments

RULES: tuple[type[Rule], ...] = (
    InvalidSessionParam,
    DialectMismatch,
    MicNotResumed,
    SpeechNeverEnded,
    ShortSpeechSegments,
    TranscriptionOffOrEmpty,
    ClientCancelledResponse,
    SelfInterruption,
    ConcurrentResponse,
    CancelWithoutResponse,
    CommitTooSmall,
    TruncateOutOfRange,
    TranscriptionFailed,
    TranscriptionLanguage,
    TranscriptHallucination,
    ReplyLanguage,
    SessionExpired,
    RateLimited,
    ServerSilent,
    SilentStart,
    SlowFirstAudio,
    ToolOutputWithoutResponse,
    ToolCallUnanswered,
    ToolOutputUnknownCall,
    StaleToolResponse,
    McpApprovalUnanswered,
    LiveFirstEventNotStart,
    LiveUnknownConfigField,
    LiveMicPausedWhileSpeaking,
    LiveAppendOverLimit,
    LiveDelegationUnanswered,
    RetiredBeta,
    GatewayRefusal,
    SilentClose,
    GeminiToolCallUnanswered,
    GeminiGoAwayNotResumed,
    GeminiResumedWithStaleHandle,
    GeminiClosedWithError,
    GeminiAudioRateMismatch,
)

RULE_IDS: tuple[str, ...] = tuple(rule.id for rule in RULES)

__all__ = ["RULES", "RULE_IDS", "Rule"]
