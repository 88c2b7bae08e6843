"""``voicechat test``'s runner: a scenario file run as a real conversation (issue 52).

See :mod:`voicechat.voicetest.run`; the command is :mod:`voicechat.commands.test`.
"""
