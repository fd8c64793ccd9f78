"""Signing in and out."""

from portal.web.auth.routes import bp

__all__ = ["bp"]
