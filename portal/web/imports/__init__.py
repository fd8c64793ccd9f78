"""Bulk import of tenants from a CSV file (staff and admins)."""

from portal.web.imports.routes import bp

__all__ = ["bp"]
