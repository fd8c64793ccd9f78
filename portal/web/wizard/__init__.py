"""The new-tenant wizard: the five Cognito set-up steps, one page each, saved as drafts."""

from portal.web.wizard.routes import bp

__all__ = ["bp"]
