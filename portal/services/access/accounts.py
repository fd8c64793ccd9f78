"""Portal users managing themselves and being managed by admins; every change audited."""

from __future__ import annotations

import pyotp

from portal.crypto import decrypt, encrypt
from portal.extensions import db
from portal.models import Role, User
from portal.services.access import lockout
from portal.services.access.sessions import Reason, end_all_sessions, end_session_of
from portal.services.access.totp import matching_step, spend_step, verify_user_code
from portal.services.access.users import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from portal.services.audit import trail
from portal.validation import ValidationError

TOTP_ISSUER = "Tenant SSO portal"


def _who(user: User) -> dict[str, object]:
    return {"user_id": user.id, "email": user.email}


def check_new_password(password: str, field: str = "password") -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(field, f"use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise ValidationError(field, "use at most 1024 characters")
    return password


def change_own_password(
    user: User, current: str, new: str, *, keep_session: str | None = None
) -> None:
    """Change a user's password after checking the current one; their other sessions end
    (KEEP_SESSION: the id of the session making the change, which goes on)."""
    if not verify_password(user, current or ""):
        raise ValidationError("current_password", "this is not your current password")
    check_new_password(new, "new_password")
    user.password_hash = hash_password(new)
    user.session_version += 1
    ended = end_all_sessions(user, Reason.PASSWORD_CHANGED, keep=keep_session)
    trail.record("user.password_changed", sessions_ended=ended, **_who(user))
    db.session.commit()


def set_enabled(user: User, enabled: bool, by: User | None = None) -> None:
    """Enable or disable a user; disabling ends their sessions at once."""
    if not enabled and by is not None and by.id == user.id:
        raise ValidationError("user", "you cannot disable your own account")
    if user.is_enabled == enabled:
        return
    user.is_enabled = enabled
    ended = 0
    if not enabled:
        user.session_version += 1
        ended = end_all_sessions(user, Reason.DISABLED)
    trail.record(
        "user.enabled" if enabled else "user.disabled",
        before={"is_enabled": not enabled},
        after={"is_enabled": enabled},
        sessions_ended=ended,
        **_who(user),
    )
    db.session.commit()


def set_role(user: User, role: str, by: User | None = None) -> bool:
    """Give USER another role; every session of theirs ends, so each starts again with it.

    Returns False when USER holds ROLE already (nothing changes then)."""
    if role not in {r.value for r in Role}:
        raise ValidationError("role", f"role must be admin, staff or auditor (got {role!r})")
    if by is not None and by.id == user.id:
        raise ValidationError("role", "you cannot change your own role; ask another admin")
    if user.role == role:
        return False
    before = user.role
    user.role = role
    user.session_version += 1
    ended = end_all_sessions(user, Reason.ROLE_CHANGED)
    trail.record(
        "user.role_changed",
        before={"role": before},
        after={"role": role},
        sessions_ended=ended,
        **_who(user),
    )
    db.session.commit()
    return True


def end_sessions(user: User, reason: str, *, keep: str | None = None) -> int:
    """Sign USER out everywhere (except the session KEEP), audited; returns how many ended."""
    ended = end_all_sessions(user, reason, keep=keep)
    trail.record("user.sessions_ended", reason=reason, sessions_ended=ended, **_who(user))
    db.session.commit()
    return ended


def end_one_session(user: User, record_id: int) -> bool:
    """End one of USER's sessions (from their list), audited; False when it was not live."""
    if not end_session_of(user, record_id):
        return False
    trail.record("user.sessions_ended", reason=Reason.ENDED_BY_USER, sessions_ended=1, **_who(user))
    db.session.commit()
    return True


def unlock(user: User) -> int:
    """Forgive the user's failed sign-ins from every address; returns how many were delayed."""
    delayed = lockout.delayed_addresses([user.email])[user.email]
    lockout.clear_account(user.email)
    trail.record("user.unlocked", before={"delayed_addresses": delayed}, **_who(user))
    db.session.commit()
    return delayed


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def enable_totp(user: User, secret: str, code: str) -> None:
    """Turn on TOTP once the user proves their app holds SECRET; stored encrypted. The code
    proving it is spent: it cannot sign in too."""
    step = matching_step(secret, code)
    if step is None:
        raise ValidationError("code", "that code does not match; check your app's clock and retry")
    user.totp_secret_encrypted = encrypt(secret)
    user.totp_last_step = None
    trail.record("user.totp_enabled", **_who(user))
    db.session.commit()
    spend_step(user, step)


def disable_totp(user: User, code: str) -> None:
    """Turn off TOTP after checking a current code."""
    if not verify_user_code(user, code):
        raise ValidationError("code", "that code does not match; check your app's clock and retry")
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    trail.record("user.totp_disabled", **_who(user))
    db.session.commit()


def seal(secret: str) -> str:
    """A pending TOTP secret, encrypted for keeping in the signed (not encrypted) session."""
    return encrypt(secret).decode("ascii")


def unseal(sealed: str) -> str:
    return decrypt(sealed.encode("ascii"))
