"""Flask-Login's user loader: the session holds "id:session_version"."""

from __future__ import annotations

from portal.extensions import db
from portal.models import User
from portal.web.extensions import login_manager


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    identifier, _, version = (user_id or "").partition(":")
    if not identifier.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(identifier))
    if user is None or user.session_version != int(version) or not user.is_enabled:
        return None  # a password change or disabling bumps the version: old sessions end
    return user
