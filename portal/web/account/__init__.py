"""A portal user's own account: password and TOTP second factor."""

from portal.web.account.routes import bp

__all__ = ["bp"]
