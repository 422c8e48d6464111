"""Fixtures of the capture tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_dbus import private_bus


@pytest.fixture
def bus_address() -> Iterator[str]:
    """A private D-Bus session bus (skips where dbus-daemon is missing)."""
    with private_bus() as address:
        yield address
