"""voicechat: a terminal voice-chat client for the OpenAI Realtime API, and a local server that speaks it."""

__version__ = "0.1.0"
