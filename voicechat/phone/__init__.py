"""voicechat as the phone network in front of a team's own phone agent (issues 75 and 76).

Sans-IO pieces first, each with one job, in the style of the session core: what Twilio sends
and how it signs it (:mod:`voicechat.phone.twilio`). The faces (``--agent twilio:URL`` in
``voicechat``, ``voicechat test`` and ``voicechat load``) are wired on top of them.
"""
