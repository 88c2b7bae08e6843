"""The skeleton of the two full-duplex families, GPT-Live (:mod:`voicechat.runtime.live`) and
Gemini Live (:mod:`voicechat.runtime.gemini`): one runtime shape that each fills in.

Both families stream the mic for the whole session, let the service decide the turns, never
gate the mic for playback, learn "speaking" from our own playback and have no push-to-talk,
barge-in switch or settings screen. So the parts around their cores are the same, and live here
once (issue 77), as :mod:`voicechat.core` keeps one sans-IO session for the Realtime dialects:

* :mod:`~.driver`: the ``transmit()`` loop around a sans-IO core, carrying out the actions both
  cores share (send, flush, notice, tools) and arming the one timer; a family carries out its
  own actions and says what happens once they are drained.
* :mod:`~.media`: the mic pump (mic frames, then silence at the mic's pace once it ends) and the
  playback monitor's polling and ``local.playback.*`` edges; a family says what one frame
  becomes and how it reads its playback.
* :mod:`~.session_view`: the TUI's snapshot rebuilt only on change, the assistant's playback
  spans, the status bar's response, and what full duplex fixes in the view.
* :mod:`~.runtime`: the lifecycle hooks both fill the same way (tasks, mic, echo control, tools)
  and what the TUI's Realtime-only commands do (say why not), the conversation saved as heard.

Nothing here imports a family's module: the families import the skeleton, never the reverse
(the line face's share of it is :mod:`voicechat.lines.duplex`, a layer up).
"""
