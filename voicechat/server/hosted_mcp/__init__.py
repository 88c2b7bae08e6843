"""Hosted MCP tools (GA): the local server as a real MCP client of the servers a session names.

A GA session's ``tools`` may hold ``{"type": "mcp", "server_label", "server_url", ...}``. The
real service then lists the server's tools (an ``mcp_list_tools`` item), offers them to the
model, and runs the calls the model makes (``mcp_call`` items), asking the client first when
approval is required (``mcp_approval_request`` / ``mcp_approval_response``). This package does
the same with the official ``mcp`` SDK over streamable HTTP:

* :mod:`.config` — the tool objects as typed settings (filters, approval policy), the refusals;
* :mod:`.limits` — timeouts and the output cap;
* :mod:`.client` — the MCP client (list, call), every failure mapped to an MCP error object;
* :mod:`.outputs` — a tool result as the ``output`` string, bounded;
* :mod:`.items` — the items and events, as pure builders;
* :mod:`.secrets` — the session as echoed to the client, without the credentials;
* :mod:`.listing` — listing on ``session.update``, and the tools each server offers;
* :mod:`.approvals` — calls waiting for the client's ``mcp_approval_response``.

Nothing here imports the ``mcp`` SDK at module level: :mod:`.client` loads it when a session
actually lists or calls a server, so ``voicechat --help`` and a server without MCP tools stay
light (``tests/test_architecture.py``).
"""
