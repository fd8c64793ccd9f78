"""API tokens in the browser: each user's own, and admins' application tokens."""

from portal.web.tokens.routes import bp

__all__ = ["bp"]
