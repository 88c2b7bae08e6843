"""Transports to a Realtime server: WebRTC (aiortc), WebSocket (aiohttp), and their auth.

A regular package (not a namespace one) so the import contracts in ``pyproject.toml`` can see
it. Kept empty so importing ``voicechat.transport`` loads neither aiortc nor aiohttp.
"""
