"""Administration: portal users, registered user pools and portal-wide settings."""

from portal.web.admin.routes import bp

__all__ = ["bp"]
