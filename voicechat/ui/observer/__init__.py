"""The observer TUI of ``voicechat proxy`` and ``voicechat watch`` (issue 12).

It reads :class:`voicechat.observe.feed.ObserverFeed` only: the commands build the proxy or the
sideband watcher, hand their feed and a producer coroutine to :class:`ObserverApp`, and this
package never imports them (the layering keeps the UI below the commands).
"""
