"""Measurements (see docs/measurements.md); each file runs as a script."""
