"""``voicechat load``: a scenario as many concurrent callers, on Locust (issue 54).

Locust runs on gevent, voicechat on asyncio (aiortc, aiohttp): the two never share a process.
Each Locust process that runs users (:mod:`voicechat.load.locustfile`, gevent, patched) starts
one conversation engine beside it (:mod:`voicechat.load.engine`, plain asyncio, unpatched) and
talks to it over a pipe, one JSON line per message: a user asks for a conversation, the engine
runs the scenario through :mod:`voicechat.voicetest` and answers with each turn's verdict and
first-audio figure, which the user reports to Locust as a request. ``voicechat load`` itself
(:mod:`voicechat.commands.load`) checks everything, starts a local server when asked, and runs
Locust as a child process.
"""
