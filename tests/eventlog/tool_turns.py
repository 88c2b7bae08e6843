"""Tool turns in the real event shapes, for the tests of summaries, replay, the observer and
``--no-ui`` lines.

The sequences and fields follow ../shared/reference/realtime-tools.md: §2.1 (GA function call:
``output_item.added`` → ``conversation.item.added`` → argument deltas → ``.done`` with name,
call id and arguments → ``output_item.done`` → ``conversation.item.done`` → ``response.done``
with the call in ``output``), §2.2 (beta: ``conversation.item.created``, ``object:
"realtime.item"``), §3 (the app's ``conversation.item.create`` of a ``function_call_output``,
the server's echo, then ``response.create``) and §5 (hosted MCP: ``mcp_list_tools.*``, the
``mcp_approval_request`` item, the app's ``mcp_approval_response``, ``response.mcp_call_*``
events and the ``mcp_call`` item with its output or error). Ids have the real formats
(``call_`` + 16 alphanumerics). Each step is ``(t, dir, event)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import PacedRecord

Step = tuple[float, str, dict[str, Any]]

CALL_ID = "call_kmnUtkOoDYWLgJHP"
ARGUMENTS = '{"city":"Paris"}'
OUTPUT = '{"temp_c":21,"sky":"sunny"}'


def _function_call(status: str, arguments: str, *, beta: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"id": "item_C1", "type": "function_call", "status": status,
                            "name": "get_weather", "call_id": CALL_ID, "arguments": arguments}
    return {"object": "realtime.item", **item} if beta else item


def function_turn(*, beta: bool = False, answer_after: float = 1.25,
                  arguments: str = ARGUMENTS, output: Any = OUTPUT,
                  call_id: str | None = CALL_ID) -> list[Step]:
    """The user asked for the weather: a call, its output ``answer_after`` s after the call
    completed, then ``response.create`` and the spoken answer's response starting."""
    def call(status: str, args: str) -> dict[str, Any]:
        item = _function_call(status, args, beta=beta)
        if call_id is None:
            del item["call_id"]
        else:
            item["call_id"] = call_id
        return item

    rid = "resp_CALL1"
    ids: dict[str, Any] = {"response_id": rid, "item_id": "item_C1", "output_index": 0}
    if call_id is not None:
        ids["call_id"] = call_id
    added = "conversation.item.created" if beta else "conversation.item.added"
    steps: list[Step] = [
        (10.0, "in", {"type": "response.created", "response": {
            "id": rid, "object": "realtime.response", "status": "in_progress", "output": []}}),
        (10.1, "in", {"type": "response.output_item.added", "response_id": rid,
                      "output_index": 0, "item": call("in_progress", "")}),
        (10.1, "in", {"type": added, "previous_item_id": "item_U1",
                      "item": call("in_progress", "")}),
    ]
    pieces = [arguments[i:i + 4] for i in range(0, len(arguments), 4)] or [""]
    steps += [(10.2, "in", {"type": "response.function_call_arguments.delta", **ids,
                            "delta": piece}) for piece in pieces]
    done = {"type": "response.function_call_arguments.done", **ids, "name": "get_weather",
            "arguments": arguments}
    steps += [(10.3, "in", done),
              (10.3, "in", {"type": "response.output_item.done", "response_id": rid,
                            "output_index": 0, "item": call("completed", arguments)})]
    if not beta:
        steps.append((10.3, "in", {"type": "conversation.item.done", "previous_item_id":
                                   "item_U1", "item": call("completed", arguments)}))
    steps.append((10.4, "in", {"type": "response.done", "response": {
        "id": rid, "object": "realtime.response", "status": "completed",
        "output": [call("completed", arguments)],
        "usage": {"input_tokens": 310, "output_tokens": 18}}}))
    answered = 10.3 + answer_after
    output_item: dict[str, Any] = {"type": "function_call_output", "output": output}
    if call_id is not None:
        output_item["call_id"] = call_id
    echo = {"id": "item_O1", **output_item}
    steps.append((answered, "out", {"type": "conversation.item.create",
                                    "previous_item_id": "item_C1", "item": output_item}))
    if beta:
        steps.append((answered + 0.05, "in", {"type": "conversation.item.created",
                                              "previous_item_id": "item_C1",
                                              "item": {"object": "realtime.item", **echo}}))
    else:
        steps += [(answered + 0.05, "in", {"type": "conversation.item.added",
                                           "previous_item_id": "item_C1", "item": echo}),
                  (answered + 0.05, "in", {"type": "conversation.item.done",
                                           "previous_item_id": "item_C1", "item": echo})]
    steps += [(answered + 0.06, "out", {"type": "response.create"}),
              (answered + 0.2, "in", {"type": "response.created", "response": {
                  "id": "resp_SAY1", "status": "in_progress", "output": []}})]
    return steps


MCP_TOOLS = [{"name": "ask_question", "input_schema": {"type": "object"}},
             {"name": "read_wiki_structure", "input_schema": {"type": "object"}}]
MCP_ARGUMENTS = '{"repoName":"openai/openai-python","question":"How is the client generated?"}'
MCP_OUTPUT = "The client is generated from the OpenAPI specification with Stainless."


def mcp_turn(*, approve: bool = True, fail: bool = False) -> list[Step]:
    """GA hosted MCP: the session lists a server's tools, the model asks to call one, the app
    approves (or denies) and the call runs (or fails with an HTTP error)."""
    lst = {"id": "item_L1", "type": "mcp_list_tools", "server_label": "deepwiki"}
    request = {"id": "item_A1", "type": "mcp_approval_request", "server_label": "deepwiki",
               "name": "ask_question", "arguments": MCP_ARGUMENTS}
    steps: list[Step] = [
        (0.0, "out", {"type": "session.update", "session": {"type": "realtime", "tools": [
            {"type": "mcp", "server_label": "deepwiki",
             "server_url": "https://mcp.deepwiki.com/mcp", "require_approval": "always"}]}}),
        (0.1, "in", {"type": "mcp_list_tools.in_progress", "event_id": "event_1",
                     "item_id": "item_L1"}),
        (0.1, "in", {"type": "conversation.item.added", "item": {**lst, "tools": []}}),
        (0.6, "in", {"type": "mcp_list_tools.completed", "event_id": "event_2",
                     "item_id": "item_L1"}),
        (0.6, "in", {"type": "conversation.item.done", "item": {**lst, "tools": MCP_TOOLS}}),
        (2.0, "in", {"type": "response.created", "response": {
            "id": "resp_ASK", "status": "in_progress", "output": []}}),
        (2.1, "in", {"type": "response.output_item.added", "response_id": "resp_ASK",
                     "output_index": 0, "item": request}),
        (2.1, "in", {"type": "conversation.item.done", "item": request}),
        (2.2, "in", {"type": "response.done", "response": {
            "id": "resp_ASK", "status": "completed", "output": [request]}}),
        (3.0, "out", {"type": "conversation.item.create", "previous_item_id": "item_A1",
                      "item": {"type": "mcp_approval_response", "approval_request_id": "item_A1",
                               "approve": approve,
                               **({} if approve else {"reason": "not this repo"})}}),
    ]
    if not approve:
        return steps
    call: dict[str, Any] = {"id": "item_M1", "type": "mcp_call", "server_label": "deepwiki",
                            "name": "ask_question", "arguments": "",
                            "approval_request_id": "item_A1", "output": None, "error": None}
    ids = {"response_id": "resp_CALL", "item_id": "item_M1", "output_index": 0}
    finished = {**call, "arguments": MCP_ARGUMENTS}
    if fail:
        finished["error"] = {"type": "http_error", "code": 503,
                             "message": "Service Unavailable"}
    else:
        finished["output"] = MCP_OUTPUT
    steps += [
        (3.1, "in", {"type": "response.created", "response": {
            "id": "resp_CALL", "status": "in_progress", "output": []}}),
        (3.1, "in", {"type": "response.output_item.added", "response_id": "resp_CALL",
                     "output_index": 0, "item": call}),
        *[(3.2, "in", {"type": "response.mcp_call_arguments.delta", **ids, "delta": piece})
          for piece in (MCP_ARGUMENTS[:30], MCP_ARGUMENTS[30:60], MCP_ARGUMENTS[60:])],
        (3.2, "in", {"type": "response.mcp_call_arguments.done", **ids,
                     "arguments": MCP_ARGUMENTS}),
        (3.25, "in", {"type": "response.mcp_call.in_progress", "output_index": 0,
                      "item_id": "item_M1"}),
        (4.1, "in", {"type": "response.mcp_call.failed" if fail
                     else "response.mcp_call.completed", "output_index": 0,
                     "item_id": "item_M1"}),
        (4.1, "in", {"type": "response.output_item.done", "response_id": "resp_CALL",
                     "output_index": 0, "item": finished}),
        (4.1, "in", {"type": "conversation.item.done", "item": finished}),
        (4.2, "in", {"type": "response.done", "response": {
            "id": "resp_CALL", "status": "completed", "output": [finished]}}),
    ]
    return steps


def records(steps: list[Step], *, timed: bool = True) -> list[LogRecord]:
    """The steps as records; ``timed=False``: as a replay paces a log without times."""
    kind = LogRecord if timed else PacedRecord
    return [kind(t, "", direction, event) for t, direction, event in steps]  # type: ignore[arg-type]


def write_log(path: Path, steps: list[Step], *, timed: bool = True) -> Path:
    """Our record format (``timed``) or bare events one a line, as many apps write them."""
    with path.open("w", encoding="utf-8") as out:
        for t, direction, event in steps:
            line = {"t": t, "ts": "", "dir": direction, "event": event} if timed else event
            out.write(json.dumps(line) + "\n")
    return path
