"""Drives the real kiosk app through a scripted journey: for make demo, the tests and the benches."""
