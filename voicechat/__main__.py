"""``python -m voicechat``: the same as the ``voicechat`` command."""

from voicechat.launch import main

main()
