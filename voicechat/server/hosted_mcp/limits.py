"""How long the local server waits for an MCP server and how much of a tool's output it keeps.

The Realtime API documents none of these, so they are decisions:

* **listing: 10 s.** The Agents SDK gives an MCP client session 5 s by default
  (``client_session_timeout_seconds``); listing also connects and initialises, so twice that.
  A hanging server then costs one ``mcp_list_tools.failed`` after 10 s, never the session.
* **a call: 30 s.** Long enough for a real tool (a search, a database query); a voice user is
  not kept waiting longer than that in silence. The call ends as ``.failed`` with a
  ``protocol_error`` naming the timeout.
* **approval: 300 s.** A response waiting for the client's ``mcp_approval_response`` holds the
  conversation (no other response can start), so it is bounded too; see :mod:`.approvals`.
* **output: 100,000 characters.** No Realtime limit is documented; the model's context is 32k
  tokens (gpt-realtime), roughly 128k characters, and an oversized output would push the
  whole conversation out. The cut is said in the output itself, so the model and the user
  know. What the transport reads for one answer, SSE or JSON, is capped at 16 MiB
  (:mod:`.transport`; the SDK's own SSE limit is 1 MiB, which would turn a 5 MB result into a
  protocol error instead of a cut output, and it does not bound JSON answers at all).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class McpLimits:
    """Bounds on every MCP operation of a session (tests shorten them)."""

    list_timeout_s: float = 10.0
    call_timeout_s: float = 30.0
    approval_timeout_s: float = 300.0
    output_max_chars: int = 100_000
    answer_max_bytes: int = 16 * 1024 * 1024
