"""Watching other apps' Realtime sessions: the proxy, the sideband watcher and what they share.

``feed`` is the one stream both producers (``voicechat proxy``, ``voicechat watch``) hand to
both consumers (the observer TUI, ``--no-ui`` printing, the recorder): sessions opening and
closing, every event both ways, problems the doctor's rules found live, and drops.
"""
