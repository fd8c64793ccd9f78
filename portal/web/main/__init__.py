"""The signed-in landing page."""

from portal.web.main.routes import bp

__all__ = ["bp"]
