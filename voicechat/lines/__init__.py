"""The ``--no-ui`` face: a conversation as printed lines, lines on stdin as typed messages.

Beside :mod:`voicechat.ui` (the TUI face), one path for every API family
(:func:`voicechat.lines.run.run_lines`): a family feeds it through :class:`~voicechat.lines.
family.LineFamily` (its runtime, when its run is over, how piped lines wait for answers, its
usage line), and the face does the rest the same way for all: what is printed
(:mod:`voicechat.lines.printer`: the conversation by default, the event flow with
``--events``), stdin's lines (:mod:`voicechat.lines.stdin`), tool approval on the terminal
(:mod:`voicechat.lines.approval`) and the run's frame (:mod:`voicechat.lines.frame`).
"""
