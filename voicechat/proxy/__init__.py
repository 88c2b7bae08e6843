"""``voicechat proxy``: a Realtime-aware reverse proxy an app reaches by changing its base URL.

It relays WebSocket sessions frame by frame and the REST calls around them byte for byte, and
hands every event it sees to the observer feed (:mod:`voicechat.observe`) without ever making
the app's traffic wait for the UI or the log.
"""
