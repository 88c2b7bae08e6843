"""aiortc code shared by the local server and the client's WebRTC transport.

``loopback`` makes ICE work on 127.0.0.1 (aiortc skips loopback addresses), and ``tracks``
holds the paced outgoing audio track (aiortc pulls frames as fast as it can unless the track
paces itself).
"""
