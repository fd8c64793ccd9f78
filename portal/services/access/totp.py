"""Time-based one-time passwords (RFC 6238) as a second sign-in factor."""

from __future__ import annotations

import pyotp

from portal.crypto import decrypt
from portal.models import User


def verify_user_code(user: User, code: str) -> bool:
    if not user.totp_secret_encrypted:
        return False
    secret = decrypt(user.totp_secret_encrypted)
    return pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1)
