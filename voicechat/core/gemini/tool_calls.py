"""The model's function calls in a Gemini Live session: each ``toolCall`` id answered exactly
once (a ``toolResponse``), or withdrawn by the server (``toolCallCancellation``), never both.

The rules, the same as the other families': a call runs only when asked for (``RunTool``; the
runtime's approval decides whether it really runs, and a refusal comes back as a failed
``ToolFinished``, which is answered like any result); a call that arrives in a turn the user
already interrupted is not run but answered at once with an error, so the turn never waits on
it; a call the server withdraws is stopped (``CancelTool``) and its late result dropped; a call
that outlives its timeout is answered with a timeout error and stopped. The model waits for
every id of a ``toolCall`` (the server blocks the turn), so none is ever left unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicechat.core.actions import CancelTool, RunTool
from voicechat.core.inputs import ToolFinished
from voicechat.protocol.gemini.events import FunctionCall

#: a result longer than this is cut, with a note (the same cap as Realtime's tool loop)
OUTPUT_CAP = 16_000


@dataclass
class PendingCall:
    name: str
    deadline: float


@dataclass(frozen=True)
class Answer:
    """One ``functionResponses`` entry to send."""

    call_id: str
    name: str
    response: dict[str, str]


class ToolCalls:
    """Pending calls and what to do with each input about them."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self.pending: dict[str, PendingCall] = {}
        self.answered: list[str] = []  # ids answered, in order (the view, and the tests)
        self.cancelled: list[str] = []  # ids the server withdrew
        self._seen: set[str] = set()

    def called(self, call: FunctionCall, now: float, *,
               interrupted: bool) -> tuple[RunTool | None, Answer | None]:
        """A call from a ``toolCall``: run it, or answer it at once (a repeated id is
        ignored: it was answered or cancelled already)."""
        if call.id in self._seen:
            return None, None
        self._seen.add(call.id)
        if interrupted:
            return None, self._answer(call.id, call.name, "error: the user interrupted this "
                                      "turn, so the call was not run", ok=False)
        self.pending[call.id] = PendingCall(call.name, now + self._timeout_s)
        return RunTool(call.id, call.name, dict(call.args)), None

    def finished(self, result: ToolFinished) -> Answer | None:
        call = self.pending.pop(result.call_id, None)
        if call is None:
            return None  # withdrawn or timed out: its answer was settled already
        return self._answer(result.call_id, call.name, result.output, ok=result.ok)

    def withdrawn(self, ids: tuple[str, ...]) -> list[CancelTool]:
        out: list[CancelTool] = []
        for call_id in ids:
            self._seen.add(call_id)
            if self.pending.pop(call_id, None) is not None:
                self.cancelled.append(call_id)
                out.append(CancelTool(call_id, "the model withdrew the call"))
        return out

    def expired(self, now: float) -> list[tuple[CancelTool, Answer]]:
        out: list[tuple[CancelTool, Answer]] = []
        for call_id, call in list(self.pending.items()):
            if call.deadline <= now:
                del self.pending[call_id]
                seconds = f"{self._timeout_s:g}"
                out.append((CancelTool(call_id, f"no result within {seconds} s"),
                            self._answer(call_id, call.name,
                                         f"error: the tool did not answer within {seconds} s",
                                         ok=False)))
        return out

    def next_deadline(self) -> float | None:
        return min((c.deadline for c in self.pending.values()), default=None)

    def _answer(self, call_id: str, name: str, output: str, *, ok: bool) -> Answer:
        self.answered.append(call_id)
        if len(output) > OUTPUT_CAP:
            output = output[:OUTPUT_CAP] + f"\n[cut at {OUTPUT_CAP} characters]"
        return Answer(call_id, name, {"output": output} if ok else {"error": output})
