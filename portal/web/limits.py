"""How large a request body may be, set before anything reads it.

CSRF protection reads a form before any blueprint's own hook runs, so a limit set there came too
late: a body of any size was parsed. This hook runs first, for every request; the API sets its
own limit (portal.web.api.auth) and is exempt from form CSRF.
"""

from __future__ import annotations

from flask import Flask, request

from portal.services.tenants import imports

FORM_MAX_BYTES = 1024 * 1024  # every form but the CSV upload is a few kilobytes
UPLOAD_MAX_BYTES = imports.MAX_BYTES + 64 * 1024  # the file, and the form around it


def init_body_limits(app: Flask) -> None:
    """Register the limit before any other request hook (call before csrf.init_app)."""
    app.before_request(_limit_body)


def _limit_body() -> None:
    request.max_content_length = (
        UPLOAD_MAX_BYTES if request.blueprint == "imports" else FORM_MAX_BYTES
    )
