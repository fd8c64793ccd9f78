"""Staff pages to create, send and revoke a tenant's setup links."""

from portal.web.links.routes import bp

__all__ = ["bp"]
