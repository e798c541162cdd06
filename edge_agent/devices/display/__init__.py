"""The 2x20 counter displays."""
