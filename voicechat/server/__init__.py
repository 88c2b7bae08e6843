"""The local Realtime-compatible server (aiohttp + aiortc): ``voicechat serve`` and the test peer.

Embed it with :class:`voicechat.server.app.LocalServer`; see that module for the stable API.
"""
