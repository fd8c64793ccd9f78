"""Changing the app's settings for one test (they are a frozen dataclass: replaced, not edited)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from portal.config import EXTENSION_KEY, settings_of


def set_settings(monkeypatch: Any, app: Any, **changes: Any) -> None:
    """Use these settings, by field name, until the test ends."""
    monkeypatch.setitem(app.extensions, EXTENSION_KEY, replace(settings_of(app), **changes))
