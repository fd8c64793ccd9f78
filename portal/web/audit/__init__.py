"""The auditors' pages: the log, per-tenant timelines, runs with their Cognito calls, exports."""

from portal.web.audit.routes import bp

__all__ = ["bp"]
