"""Lobby Kiosk edge agent: the branch daemon that owns the queue, the store and the output devices."""

__version__ = "0.1.0"
