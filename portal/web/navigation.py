"""The main navigation: each entry shows only to the roles its page admits."""

from __future__ import annotations

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from portal.models import Role

A, S, U = Role.ADMIN, Role.STAFF, Role.AUDITOR
# (endpoint, label, roles) in display order; entries whose page does not exist are skipped.
NAV = [
    ("tenants.index", "Tenants", (A, S, U)),
    ("wizard.start", "New tenant", (A, S)),
    ("audit.log", "Audit log", (A, U)),
    ("admin.pools", "User pools", (A,)),
    ("admin.users", "Users", (A,)),
    ("webhooks.index", "Webhooks", (A,)),
    ("account.index", "My account", (A, S, U)),
    ("imports.upload", "Import", (A, S)),
    ("tokens.index", "API tokens", (A, S, U)),
]


def nav_items() -> list[tuple[str, str, tuple[str, ...]]]:
    if not current_user.is_authenticated:
        return []
    known = current_app.view_functions
    return [item for item in NAV if item[0] in known and current_user.role in item[2]]


def current_entry(items: list[tuple[str, str, tuple[str, ...]]]) -> str | None:
    """The entry the page belongs to: the one whose address is the longest prefix of the page's
    (/tenants/new is New tenant, not Tenants), else the one from the page's blueprint."""
    paths = {endpoint: url_for(endpoint) for endpoint, _, _ in items}
    under = [e for e, path in paths.items() if request.path.startswith(path)]
    if under:
        return max(under, key=lambda e: len(paths[e]))
    blueprint = (request.endpoint or "").split(".")[0]
    same = [e for e in paths if e.split(".")[0] == blueprint]
    return same[0] if len(same) == 1 else None


def init_navigation(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": nav_items, "current_nav": current_entry})
