"""Cognito tenant onboarding portal.

Importing the package imports nothing else, so that the `portal` command starts quickly; the
application factory lives in portal.app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask import Flask


def create_app(
    config: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    *,
    web: bool = True,
    provision: bool = True,
) -> Flask:
    """Build the app (see portal.app.create_app); `flask --app portal` finds it here."""
    from portal.app import create_app as build

    return build(config, settings, web=web, provision=provision)
