"""voicechat: talk to a realtime voice model from the terminal.

A client for the OpenAI Realtime API, and a local server that speaks the same protocol.
"""

__version__ = "0.1.0"
