"""Per-server knobs every session engine reads: pace of deltas, session length, shared limits.

They live apart from the engine so the parts that need one knob (the response runner's delta
pace, the WebSocket sink's speed-up) and the host that builds sessions depend on this small module
rather than on the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.rate_limits import RateLimits


@dataclass
class EngineOptions:
    """Knobs the tests and the benchmark turn; defaults imitate the real server's pace."""

    session_max_s: float = 3600.0
    #: Pause after each streamed text delta, so a response lasts long enough to be cancelled or
    #: interrupted, like a model streaming tokens (0 = as fast as possible).
    text_delta_interval_s: float = 0.02
    #: WebSocket audio deltas go out at most this many times faster than real time.
    ws_audio_speedup: float = 4.0
    #: Buckets behind ``rate_limits.updated``; the server shares one across its sessions.
    rate_limits: RateLimits | None = None
    #: timeouts and the output cap of hosted MCP tools (GA ``{"type": "mcp"}`` tools)
    mcp_limits: McpLimits = field(default_factory=McpLimits)
