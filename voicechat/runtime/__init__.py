"""The client runtime: the asyncio glue between the session core, the transport and audio.

``from voicechat.runtime import Runtime`` is the way in; :mod:`voicechat.runtime.facade` says what
each part of the package does.
"""

from voicechat.runtime.facade import Runtime
from voicechat.runtime.fanout import Subscribers

__all__ = ["Runtime", "Subscribers"]
