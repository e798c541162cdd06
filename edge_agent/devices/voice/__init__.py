"""Spoken calls and the technician's voice commands."""
