"""The Textual TUI: the chat app, the replay viewer, and their widgets.

A regular package (not a namespace one) so the import contracts in ``pyproject.toml`` can see
it. The UI reads session state and sends commands through the runtime's seam; it never touches
audio devices or transports. Kept empty so importing ``voicechat.ui`` loads no Textual.
"""
