"""Webhook endpoints in the browser (admins): register, choose events, test, read the log."""

from portal.web.webhooks.routes import bp

__all__ = ["bp"]
