"""Time-based one-time passwords (RFC 6238) as a second sign-in factor; each code counts once."""

from __future__ import annotations

import hmac
import time

import pyotp
from sqlalchemy import or_, update

from portal.crypto import decrypt
from portal.extensions import db
from portal.models import User

# Codes of the previous and next 30-second step are accepted too (clocks drift).
WINDOW = 1


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code CODE is, within the window around NOW; None if none."""
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def spend_step(user: User, step: int) -> bool:
    """Record STEP as USER's last accepted one, unless it (or a later one) was used already.

    A conditional UPDATE, committed at once: of two requests racing with the same code only one
    gets the row (RFC 6238 section 5.2: a verifier must not accept a code twice).
    """
    result = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .where(or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount == 1


def verify_user_code(user: User, code: str) -> bool:
    """Whether CODE is a current code of USER's TOTP secret not accepted before; spends it."""
    if not user.totp_secret_encrypted:
        return False
    step = matching_step(decrypt(user.totp_secret_encrypted), code)
    return step is not None and spend_step(user, step)
