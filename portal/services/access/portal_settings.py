"""Portal-wide settings stored in the database, changed by admins and audited."""

from __future__ import annotations

import time
from typing import Any

from portal.extensions import db
from portal.models import PortalSetting
from portal.services.audit import trail
from portal.services.audit.actors import current_actor

REQUIRE_TOTP = "require_totp"
DEFAULTS: dict[str, Any] = {REQUIRE_TOTP: False}


# Read on every request (is TOTP required?): each process keeps a value for a few seconds.
# A change made in this process is seen at once; other processes see it within CACHE_SECONDS.
CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, Any]] = {}


def forget_cached() -> None:
    """Drop the cached values (tests empty the database under a running process)."""
    _cache.clear()


def get_setting(key: str) -> Any:
    cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    row = db.session.get(PortalSetting, key)
    value = DEFAULTS.get(key) if row is None else row.value
    _cache[key] = (time.monotonic(), value)
    return value


def set_setting(key: str, value: Any) -> None:
    """Change a setting and audit the change in the same transaction."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = db.session.get(PortalSetting, key)
    before = DEFAULTS[key] if row is None else row.value
    if row is None:
        row = PortalSetting(key=key, value=value)
        db.session.add(row)
    row.value = value
    row.updated_by = current_actor().label
    trail.record("settings.changed", before={key: before}, after={key: value})
    db.session.commit()
    _cache.pop(key, None)


def totp_required() -> bool:
    return bool(get_setting(REQUIRE_TOTP))
