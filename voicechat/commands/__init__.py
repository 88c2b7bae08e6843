"""One module per CLI command; imported lazily by :mod:`voicechat.cli` so ``--help`` stays fast."""
