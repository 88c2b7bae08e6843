"""Turns put together on the client: Gemini Live has no items and no response ids, only
transcript fragments (``inputTranscription``, ``outputTranscription``) and ``turnComplete``.

The rules (decided; Google documents no grouping):

* the user's fragments of one turn make one ``user`` line; the model's make one ``assistant``
  line; fragments concatenate verbatim (spacing is the service's);
* the user's line is said as soon as the model starts answering (its first transcript, audio or
  tool call), so it comes before any tool line; fragments of the user's that arrive after it
  (the transcription lags behind the answer) are said at the turn's end, as a second line;
* ``turnComplete`` ends the turn; ``interrupted`` ends it too, at once, with the model's line
  marked interrupted: what the user says after the cut belongs to the next turn;
* a typed line is its own ``user`` line, said when it is sent.
"""

from __future__ import annotations

from voicechat.core.gemini.actions import Speaker, TurnEnded


class TurnBuilder:
    """Fragments in, :class:`TurnEnded` lines out, in the order they were spoken."""

    def __init__(self) -> None:
        self.number = 0
        self._user: list[str] = []
        self._model: list[str] = []
        self._answering = False  # the model has started this turn's answer
        self.ended: list[TurnEnded] = []  # every line said, for the view

    @property
    def open(self) -> bool:
        """Something of this turn is under way (said, or being answered)."""
        return self._answering or bool(self._user) or bool(self._model)

    @property
    def answering(self) -> bool:
        return self._answering

    def partial(self) -> tuple[tuple[Speaker, str], ...]:
        """What the open turn has so far and has not said yet (for a live transcript)."""
        user, model = "".join(self._user).strip(), "".join(self._model).strip()
        out: list[tuple[Speaker, str]] = []
        if user:
            out.append(("user", user))
        if model:
            out.append(("assistant", model))
        return tuple(out)

    def user_fragment(self, text: str) -> list[TurnEnded]:
        self._user.append(text)
        return []

    def typed(self, text: str) -> list[TurnEnded]:
        """A typed line: said now, after any spoken words still waiting."""
        out = self._say("user", self._user)
        out.append(self._line("user", text, typed=True))
        return out

    def model_started(self) -> list[TurnEnded]:
        """The model's answer began: the user's words so far are said now."""
        if self._answering:
            return []
        self._answering = True
        return self._say("user", self._user)

    def model_fragment(self, text: str) -> list[TurnEnded]:
        out = self.model_started()
        self._model.append(text)
        return out

    def interrupted(self) -> list[TurnEnded]:
        return self._close(interrupted=True)

    def complete(self) -> list[TurnEnded]:
        return self._close(interrupted=False)

    def _close(self, *, interrupted: bool) -> list[TurnEnded]:
        out = self._say("user", self._user)
        out += self._say("assistant", self._model, interrupted=interrupted)
        self._answering = False
        self.number += 1
        return out

    def _say(self, speaker: Speaker, parts: list[str], *,
             interrupted: bool = False) -> list[TurnEnded]:
        text = "".join(parts).strip()
        parts.clear()
        if not text:
            return []
        return [self._line(speaker, text, interrupted=interrupted)]

    def _line(self, speaker: Speaker, text: str, *, typed: bool = False,
              interrupted: bool = False) -> TurnEnded:
        line = TurnEnded(speaker, text, self.number, typed=typed, interrupted=interrupted)
        self.ended.append(line)
        return line
