"""Life after day one in the browser: change, plan, apply, rotate, drift, offboard, move."""

from portal.web.lifecycle.routes import bp

__all__ = ["bp"]
