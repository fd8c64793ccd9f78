"""Admin-issued password-reset links: single use, expiring, stored as a hash, audited.

The link is the only way a user who forgot their password gets back in: an admin issues it (the
Users page or `portal users reset-link`) and hands it over; the portal sends no e-mail itself.
Using it sets a new password, ends every session of the user and asks for a current TOTP code
when the user has a second factor, so a link alone never gets past TOTP.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from portal.config import current_settings
from portal.extensions import db
from portal.models import PasswordReset, User, utcnow
from portal.services.access import lockout
from portal.services.access.accounts import check_new_password
from portal.services.access.sessions import Reason, end_all_sessions
from portal.services.access.totp import verify_user_code
from portal.services.access.users import hash_password
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.validation import ValidationError

TOKEN_BYTES = 32  # 43 characters in the URL
PATH = "/reset-password/"  # also in portal.observability.redact.SECRET_PATH_PREFIXES


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _who(user: User) -> dict[str, object]:
    return {"user_id": user.id, "email": user.email}


@dataclass(frozen=True)
class IssuedLink:
    """A new link: the token is shown once to the admin and never stored."""

    token: str
    expires_at: datetime

    @property
    def url(self) -> str:
        return current_settings().public_url.rstrip("/") + PATH + self.token


class LinkUnusable(Exception):
    """The link was used, replaced or has expired; the message says which, and when."""

    def __init__(self, state: str, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.message = message


def issue(user: User) -> IssuedLink:
    """A new reset link for USER; an older unused one stops working. Audited, token not kept."""
    if not user.is_enabled:
        raise ValidationError("user", f"{user.email} is disabled; enable the account first")
    now = utcnow()
    replaced = db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    ).rowcount
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = PasswordReset(
        user_id=user.id,
        token_hash=hash_token(token),
        created_by=current_actor().label,
        created_at=now,
        expires_at=now + timedelta(hours=current_settings().password_reset_hours),
    )
    db.session.add(link)
    db.session.flush()
    trail.record(
        "user.password_reset_link_issued",
        link_id=link.id,
        expires_at=link.expires_at,
        replaced_links=replaced,
        **_who(user),
    )
    db.session.commit()
    return IssuedLink(token, link.expires_at)


def find(token: str) -> PasswordReset | None:
    """The link TOKEN opens, whatever its state; None for a token never issued."""
    if not token or len(token) > 128:
        return None
    return db.session.scalar(
        db.select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    )


def explain(link: PasswordReset) -> str:
    """Why LINK no longer works, in words for the person holding it."""
    state = link.state()
    if state == "used":
        return (
            f"This link was already used on {link.used_at:%Y-%m-%d at %H:%M} UTC to set a "
            "password. Sign in with that password, or ask an admin for a new link."
        )
    if state == "revoked":
        return "A newer reset link was issued for this account; use that one, or ask an admin."
    return (
        f"This link expired on {link.expires_at:%Y-%m-%d at %H:%M} UTC. "
        "Ask an admin of this portal for a new one."
    )


def use(link: PasswordReset, password: str, code: str | None = None) -> User:
    """Set USER's new password through LINK, once; every session of theirs ends. Audited."""
    user = link.user
    check_new_password(password)
    if user.totp_secret_encrypted and not verify_user_code(user, (code or "").strip()):
        raise ValidationError("code", "that code does not match; check your app's clock and retry")
    # Claim the link with a conditional UPDATE: two tabs submitting at once set one password.
    claimed = db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.id == link.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
            PasswordReset.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        db.session.refresh(link)
        raise LinkUnusable(link.state(), explain(link))
    if not user.is_enabled:
        db.session.rollback()
        raise LinkUnusable("disabled", "This account is disabled. Ask an admin of this portal.")
    user.password_hash = hash_password(password)
    user.session_version += 1
    ended = end_all_sessions(user, Reason.PASSWORD_RESET)
    lockout.clear_account(user.email)
    trail.record("user.password_reset_by_link", link_id=link.id, sessions_ended=ended, **_who(user))
    db.session.commit()
    return user
