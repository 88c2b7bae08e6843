"""The phone network's wire to a Twilio-style agent (issue 75): the signed webhook and the
Media Stream's WebSocket, with the stream's audio on a real-time clock. The protocol itself is
sans-IO in :mod:`voicechat.phone.twilio`; this package only moves its messages."""
