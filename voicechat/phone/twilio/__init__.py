"""Twilio's side of a call: the signed voice webhook, the TwiML it answers with (issue 75)."""
