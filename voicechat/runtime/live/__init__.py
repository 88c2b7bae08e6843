"""The runtime for GPT-Live sessions (``voicechat --api live``), beside the Realtime runtime.

Same shape as :mod:`voicechat.runtime` (driver, link, media, tools behind one facade), with the
GPT-Live core (:mod:`voicechat.core.live`) in place of the Realtime session core.
"""

from voicechat.runtime.live.runtime import LiveRuntime, live_policy_for

__all__ = ["LiveRuntime", "live_policy_for"]
