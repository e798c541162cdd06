"""The system lane: tests that start a broker, PostgreSQL, Chromium, Kivy, a pseudo-terminal's
device or another process. Every test here is marked `slow`; `make test-fast` leaves them out."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
