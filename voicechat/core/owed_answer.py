"""The answer owed to a turn the server committed under the answer the client then cut.

The caller speaks on over an answer: the server's VAD commits the new turn while that answer is
still active, so it makes no response for it (``create_response`` starts one per committed
turn, but there is one response at a time: the local server skips it, and the real service's
rule for this case is not documented), and the client's barge-in then cancels the answer that
was playing. Nobody answers what the caller said: ``voicechat test`` waited its 30 s for it and
failed by chance, whenever the second part of a turn was committed a moment before the cancel
reached the server (issue 77).

Decision: once the cut answer's ``response.done`` says ``cancelled``, a turn committed while it
ran and not answered since (no ``response.created`` after the commit) gets one
``response.create`` from the client. A server that answers the turn itself starts its response
before or right after that ``response.done``; in the second case our request meets an active
response and is refused with ``conversation_already_has_active_response``, which the session
takes as the benign race it is (:func:`voicechat.core.response_flow.is_busy_rejection`).
The caller speaking again before that ``response.done`` settles the debt: the server VAD's split
of one long utterance commits its second part as a turn of its own, and the server answers that
commit itself; asked for here as well, the answer began under the caller's speech and the
barge-in cut it at once (the doctor's ``client-cancelled-response``: a fresh-clone run's chance
failure of the examples over WebSocket, issue 77).
A turn committed under an answer that then *completes* asks for nothing: the barge-in guards
took that speech for a blip or for echo, and answering echo is the self-talk they prevent.
Only where the server makes the responses (VAD with ``create_response``); push-to-talk and
``create_response: false`` sessions ask for their own.

Sans-IO: it sees events and answers whether a response is owed; the session asks for it.
"""

from __future__ import annotations


class OwedAnswer:
    """Whether a committed turn is left unanswered by a cancelled answer."""

    def __init__(self) -> None:
        self._owed = False

    def committed(self, *, answer_running: bool, server_answers: bool) -> None:
        """A user turn was committed; ``answer_running``: a response was active (or asked
        for) then; ``server_answers``: the server makes a response per committed turn."""
        if answer_running and server_answers:
            self._owed = True

    def speech_started(self) -> None:
        """The caller speaks again: the turn that speech makes is the one to answer, and the
        server answers it on its commit."""
        self._owed = False

    def created(self) -> None:
        """A response began after the commit: the turn is being answered."""
        self._owed = False

    def done(self, status: str | None) -> bool:
        """The active response ended with ``status``: ``True`` when the client must now ask
        for the answer the server did not make."""
        owed, self._owed = self._owed and status == "cancelled", False
        return owed
