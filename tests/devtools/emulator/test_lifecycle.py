"""Starting, stopping and the context manager."""

from __future__ import annotations

import urllib.error

import pytest

from portal.devtools.emulator import Emulator, EmulatorAdmin


def test_context_manager_serves_on_a_free_port_and_stops():
    with Emulator(port=0) as other:
        endpoint = other.endpoint
        assert endpoint.startswith("http://127.0.0.1:")
        assert EmulatorAdmin(endpoint, timeout=5).health()["status"] == "ok"
    with pytest.raises(urllib.error.URLError):
        EmulatorAdmin(endpoint, timeout=2).health()
    with pytest.raises(RuntimeError):
        _ = other.endpoint


def test_seeding_works_before_start():
    idle = Emulator()
    try:
        assert idle.seed(pools=1)[0].managed_login_version == 2
    finally:
        idle.reset()
