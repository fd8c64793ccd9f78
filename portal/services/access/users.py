"""Portal users: creation and password hashing (argon2id)."""

from __future__ import annotations

import contextlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Role, User
from portal.services.audit import trail
from portal.validation import ValidationError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_decoy: tuple[PasswordHasher, str] | None = None


def verify_password_or_decoy(user: User | None, password: str) -> bool:
    """Check PASSWORD against USER's hash, or, without a user, against a stand-in hash made
    with the same parameters: a failed sign-in costs the same whether the account exists."""
    global _decoy
    if user is not None:
        return verify_password(user, password)
    if _decoy is None or _decoy[0] is not _hasher:
        _decoy = (_hasher, _hasher.hash(secrets.token_urlsafe(24)))
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_decoy[1], password)
    return False


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def check_email(email: str) -> str:
    value = (email or "").strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or len(value) > 254 or " " in value:
        raise ValidationError("email", f"{email!r} is not an e-mail address")
    return value


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(email: str, role: str, password: str) -> User:
    """Create a portal user; the password is stored only as an argon2id hash."""
    email = check_email(email)
    if role not in {r.value for r in Role}:
        raise ValidationError("role", f"role must be admin, staff or auditor (got {role!r})")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "password", f"the password must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    if find_user(email) is not None:
        raise ValidationError("email", f"a user with e-mail {email} exists already")
    user = User(email=email, role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    trail.record("user.created", after={"email": email, "role": role, "user_id": user.id})
    db.session.commit()
    return user
