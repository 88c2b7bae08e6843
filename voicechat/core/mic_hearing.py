"""Has the mic heard the assistant lately? The window behind the detector's "deaf" rule.

The assistant talks and the mic has not heard it (headphones, or a speaker whose sound has not
reached the mic yet: issue 53's adaptive loop delivered nothing for the first 5 s of an answer).
There is no echo to tell apart, so the speech detector's word on the raw mic counts
(:meth:`~voicechat.core.talk_frames.FrameJudge.person`): AEC3, converging on nothing, removed
50-66 dB of the person's first word there ("too quiet" at -94 dBFS while the mic held it at -28),
and the detector heard nothing until the server's VAD, 1.3-1.5 s in.

"Not heard": of the last ``DEAF_WINDOW`` frames of the assistant alone, at most ``DEAF_SHARE``
had the mic at ``min_level_dbfs`` or over. A running mean of levels was tried first and took a
quiet mic (echo at -47 dBFS active, with dips to -90 between words) for deaf: the raw mic's
speech model then heard the echo and paused 8 times. A person's first frames, before the speech
model is sure, count as the assistant's and a few of them cannot make the mic "hear".

Sans-IO: frames' verdicts in, a yes or no out.
"""

from __future__ import annotations

from collections import deque

#: the mic does not hear the assistant when, of the last ``DEAF_WINDOW`` frames of it alone
#: (2 s), at most ``DEAF_SHARE`` were loud enough to matter, once ``DEAF_AFTER_FRAMES`` were seen
DEAF_WINDOW = 100
DEAF_SHARE = 0.1
DEAF_AFTER_FRAMES = 25


class MicHearing:
    """The last ``DEAF_WINDOW`` frames of the assistant alone: did the mic hear each?"""

    def __init__(self) -> None:
        self._heard: deque[bool] = deque(maxlen=DEAF_WINDOW)
        self._count = 0  # of them True: kept as they come, not summed per frame

    def deaf(self) -> bool:
        """The mic has not heard the assistant (see the module doc)."""
        heard = self._heard
        return len(heard) >= DEAF_AFTER_FRAMES and self._count <= DEAF_SHARE * len(heard)

    def frame(self, heard_it: bool) -> None:
        """A frame of the assistant alone, and whether the mic was loud enough to matter."""
        heard = self._heard
        if len(heard) == heard.maxlen:
            self._count -= heard[0]
        heard.append(heard_it)
        self._count += heard_it

    def proven(self) -> None:
        """The copy ear found the speaker's own sound in the mic: whatever the window says, the
        mic hears the assistant, and is taken to have heard every frame of it.

        Why at once: an echo that first reaches the mic mid-answer (headphones unplugged, a
        loop that starts delivering late) is speech to the raw mic's model (0.93-1.0), and
        frames the window calls deaf count that model's word; frames judged the person's do
        not count as heard, so the window, which needs ``DEAF_SHARE`` of its frames heard,
        held on. CI ran the jump test with no loop before the jump (11-28: a loop that
        appeared 1.3 s before the voice), and a barge-in was confirmed 640 ms before anyone
        spoke. Traced here, the same shape kept the window deaf 300 ms after the echo arrived,
        while the copy ear, finding it, explained 27-60 dB of some frames and misfit others
        (-3 to 7 dB): a few more misfits make that confirmation. A voice is never explained
        so well (``copy_voice.EXPLAINED_ECHO_DB``); the window goes deaf again after 1.8 s of
        a silent mic."""
        heard = self._heard
        if self._count == len(heard) == heard.maxlen:
            return  # heard throughout already: most frames of a simple path are explained
        heard.extend([True] * DEAF_WINDOW)
        self._count = len(heard)
