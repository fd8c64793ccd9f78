"""Tenants in the browser: the list, one tenant's page, live progress and the handover."""

from portal.web.tenants.routes import bp

__all__ = ["bp"]
