"""Flask-Login's user loader: the session holds "id:session_version" and a server session id.

A user is signed in only while both hold: the version matches (a password change, a reset and
disabling bump it) and the server-side session is live (not signed out, ended, idle or expired).
"""

from __future__ import annotations

from flask import flash, request, session

from portal.config import current_settings
from portal.extensions import db
from portal.models import User
from portal.services.access.sessions import Reason, check_record, signed_in_user
from portal.web.extensions import login_manager

SESSION_KEY = "sid"
# Requests a page makes by itself to refresh a part of it (static/js/portal.js) send this header;
# they keep nobody signed in: only what a person does counts as activity.
BACKGROUND_HEADER = ("X-Requested-With", "fetch")


def user_of(user_id: str | None) -> User | None:
    """The enabled user an "id:session_version" string names, if the version is current."""
    identifier, _, version = (user_id or "").partition(":")
    if not identifier.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(identifier))
    if user is None or not _current_version(user, version):
        return None  # a password change or disabling bumps the version: old sessions end
    return user


def _ended_message(reason: str) -> str | None:
    settings = current_settings()
    if reason == Reason.IDLE:
        return (
            f"You were signed out after {settings.session_idle_minutes} minutes without "
            "activity. Sign in again."
        )
    if reason == Reason.EXPIRED:
        return f"Sessions last at most {settings.session_max_hours} hours: sign in again to go on."
    if reason == Reason.SIGNED_OUT:
        return None
    return "Your session was ended. Sign in again."


def _current_version(user: User, version: str) -> bool:
    return user.session_version == int(version) and user.is_enabled


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, if the cookie's version is current and its server session lives
    (the user and the session come in one query: this runs on every request)."""
    identifier, _, version = (user_id or "").partition(":")
    reason = Reason.SIGNED_OUT
    if identifier.isdigit() and version.isdigit():
        found = signed_in_user(session.get(SESSION_KEY), int(identifier))
        if found is not None and _current_version(found[1], version):
            record, user = found
            name, value = BACKGROUND_HEADER
            reason = check_record(record, activity=request.headers.get(name) != value)
            if reason is None:
                return user
    session.clear()  # nothing of an ended session is kept, CSRF token included
    message = _ended_message(reason)
    if message:
        flash(message, "info")
    return None
