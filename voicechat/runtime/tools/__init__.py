"""Running tools for the model: MCP servers, command tools, and the approval prompt.

* :mod:`.sources` — the configuration (``--mcp-config``, ``[voicechat.mcp_servers]``,
  ``[voicechat.tools]``) read into plain values, every mistake named;
* :mod:`.naming` — valid, unique function names and schemas the API accepts;
* :mod:`.mcp_client` — one MCP server through the official SDK;
* :mod:`.results` — an MCP result as one string;
* :mod:`.commands` — command tools (JSON on stdin, stdout out);
* :mod:`.toolbox` — all sources behind one name space (and ``voicechat tools``' catalog);
* :mod:`.runner` — the core's ``RunTool``/``CancelTool``/``AskApproval`` on the event loop.

The tool loop's rules (when to run, answer, reply) are the core's:
:mod:`voicechat.core.tool_calls`.
"""
