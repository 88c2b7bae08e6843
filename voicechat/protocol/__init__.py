"""Sans-IO knowledge of the Realtime wire protocol.

Dialects, event names, beta/GA mapping, validation and the server's error wording.

Nothing in this package performs I/O, reads a clock or imports an async framework; the client, the
local server and the doctor all build on it.
"""

from voicechat.protocol.dialect import Dialect, Flavor

__all__ = ["Dialect", "Flavor"]
