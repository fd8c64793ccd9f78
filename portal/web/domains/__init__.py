"""Staff decide on a tenant's claimed e-mail domains: add, check now, verify by hand, remove."""

from portal.web.domains.routes import bp

__all__ = ["bp"]
