"""Virtual devices on real pseudo-terminals, for demos and tests."""
