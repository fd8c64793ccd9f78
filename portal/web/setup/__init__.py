"""The customer's setup pages, reached through a setup link (no account)."""

from portal.web.setup.routes import bp

__all__ = ["bp"]
