"""Portal users managing themselves and being managed by admins; every change audited."""

from __future__ import annotations

import pyotp

from portal.crypto import decrypt, encrypt
from portal.extensions import db
from portal.models import User
from portal.services.access.totp import verify_user_code
from portal.services.access.users import (
    MIN_PASSWORD_LENGTH,
    generate_password,
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


def change_own_password(user: User, current: str, new: str) -> None:
    """Change a user's password after checking the current one; other sessions end."""
    if not verify_password(user, current or ""):
        raise ValidationError("current_password", "this is not your current password")
    check_new_password(new, "new_password")
    user.password_hash = hash_password(new)
    user.session_version += 1
    trail.record("user.password_changed", **_who(user))
    db.session.commit()


def reset_password(user: User, password: str | None = None) -> str:
    """Set a new password (generated unless given) and end the user's sessions; returns it."""
    password = check_new_password(password) if password else generate_password()
    user.password_hash = hash_password(password)
    user.session_version += 1
    user.failed_logins, user.locked_until = 0, None
    trail.record("user.password_reset", **_who(user))
    db.session.commit()
    return password


def set_enabled(user: User, enabled: bool, by: User | None = None) -> None:
    """Enable or disable a user; disabling ends their sessions at once."""
    if not enabled and by is not None and by.id == user.id:
        raise ValidationError("user", "you cannot disable your own account")
    if user.is_enabled == enabled:
        return
    user.is_enabled = enabled
    if not enabled:
        user.session_version += 1
    trail.record(
        "user.enabled" if enabled else "user.disabled",
        before={"is_enabled": not enabled},
        after={"is_enabled": enabled},
        **_who(user),
    )
    db.session.commit()


def unlock(user: User) -> None:
    """Clear a lockout after repeated failed sign-ins."""
    before = {"failed_logins": user.failed_logins, "locked": user.locked_until is not None}
    user.failed_logins, user.locked_until = 0, None
    trail.record("user.unlocked", before=before, **_who(user))
    db.session.commit()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def enable_totp(user: User, secret: str, code: str) -> None:
    """Turn on TOTP once the user proves their app holds SECRET; stored encrypted."""
    if not pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1):
        raise ValidationError("code", "that code does not match; check your app's clock and retry")
    user.totp_secret_encrypted = encrypt(secret)
    trail.record("user.totp_enabled", **_who(user))
    db.session.commit()


def disable_totp(user: User, code: str) -> None:
    """Turn off TOTP after checking a current code."""
    if not verify_user_code(user, code):
        raise ValidationError("code", "that code does not match; check your app's clock and retry")
    user.totp_secret_encrypted = None
    trail.record("user.totp_disabled", **_who(user))
    db.session.commit()


def seal(secret: str) -> str:
    """A pending TOTP secret, encrypted for keeping in the signed (not encrypted) session."""
    return encrypt(secret).decode("ascii")


def unseal(sealed: str) -> str:
    return decrypt(sealed.encode("ascii"))
