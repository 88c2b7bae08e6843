"""What the message box sends: a typed message, or ``/image PATH [caption]``, a picture.

A picture that cannot be sent (no such file, not an image, too big, the beta dialect) must not
cost the user what they typed: the problem comes back so the app can say it and put the text
back in the box for a fix (:meth:`voicechat.ui.app.VoiceChatApp._send_message`).
"""

from __future__ import annotations

from voicechat.core.image_command import parse_image_command
from voicechat.ui.handle import ConversationHandle


def send_typed(handle: ConversationHandle, text: str) -> str | None:
    """Send ``text`` (a picture for ``/image``); the problem when nothing went out."""
    command = parse_image_command(text)
    if command is None:
        handle.send_text(text)
        return None
    return handle.send_image(command.path, command.caption)
