"""Measurements (see the README); each file runs as a script."""
