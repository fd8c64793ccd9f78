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


def _addresses() -> dict[str, str]:
    """Each existing entry's address, built once per script root the app is served under (every
    page showed the menu by building each address twice: 18 url_for calls)."""
    built = current_app.extensions.setdefault("navigation", {})
    root = request.script_root
    if root not in built:
        known = current_app.view_functions
        built[root] = {endpoint: url_for(endpoint) for endpoint, _, _ in NAV if endpoint in known}
    return built[root]


def nav_items() -> list[tuple[str, str, str]]:
    """The signed-in user's entries: (endpoint, label, address)."""
    if not current_user.is_authenticated:
        return []
    addresses = _addresses()
    return [
        (endpoint, label, addresses[endpoint])
        for endpoint, label, allowed in NAV
        if endpoint in addresses and current_user.role in allowed
    ]


def current_entry(items: list[tuple[str, str, str]]) -> str | None:
    """The entry the page belongs to: the one whose address is the longest prefix of the page's
    (/tenants/new is New tenant, not Tenants), else the one from the page's blueprint."""
    under = [(len(path), endpoint) for endpoint, _, path in items if request.path.startswith(path)]
    if under:
        return max(under)[1]
    blueprint = (request.endpoint or "").split(".")[0]
    same = [endpoint for endpoint, _, _ in items if endpoint.split(".")[0] == blueprint]
    return same[0] if len(same) == 1 else None


def init_navigation(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": nav_items, "current_nav": current_entry})
