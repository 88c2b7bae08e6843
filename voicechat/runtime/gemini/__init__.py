"""Gemini Live in the client: the asyncio glue around :mod:`voicechat.core.gemini`."""

from voicechat.runtime.gemini.runtime import GeminiRuntime, GeminiTarget

__all__ = ["GeminiRuntime", "GeminiTarget"]
