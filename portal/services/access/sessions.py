"""Signed-in browser sessions the server can end: sign-out, sign out everywhere, timeouts.

The session cookie (signed, not encrypted) carries a random session id; the database keeps only
its SHA-256 hash with the session's times. A session lives while its row is not ended, it has
seen a request within PORTAL_SESSION_IDLE_MINUTES and it is younger than
PORTAL_SESSION_MAX_HOURS; ending the row ends the session at its next request, wherever the
cookie was copied to.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, delete, select, update

from portal.config import current_settings
from portal.extensions import db
from portal.models import User, UserSession, utcnow

# last_seen_at is written at most this often per session: one write a minute, not per request.
SEEN_RESOLUTION = timedelta(minutes=1)
# Ended and expired rows are kept this long (the user's list of recent sessions), then purged.
KEEP_ENDED = timedelta(days=30)


class Reason:
    """Why a session ended, as stored and shown."""

    SIGNED_OUT = "signed_out"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
    ENDED_BY_USER = "ended_by_user"
    ENDED_BY_ADMIN = "ended_by_admin"
    ROLE_CHANGED = "role_changed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a reason, not a password
    DISABLED = "disabled"
    IDLE = "idle"
    EXPIRED = "expired"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(user: User, ip_address: str | None, user_agent: str | None) -> str:
    """A new session for USER; returns the id for the cookie (only its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user=user,
            token_hash=_hash(session_id),
            ip_address=(ip_address or "")[:64] or None,
            user_agent=(user_agent or "")[:512] or None,
        )
    )
    return session_id


def find_session(session_id: str | None) -> UserSession | None:
    if not session_id:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(session_id)))


def lapse_reason(record: UserSession, now: datetime) -> str | None:
    """Why RECORD is no longer valid at NOW (idle, expired, or how it was ended), or None."""
    if record.ended_at is not None:
        return record.end_reason or Reason.SIGNED_OUT
    settings = current_settings()
    if now - record.created_at >= timedelta(hours=settings.session_max_hours):
        return Reason.EXPIRED
    if now - record.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        return Reason.IDLE
    return None


@functools.cache
def _signed_in_query() -> Select[tuple[UserSession, User]]:
    """signed_in_user's statement, built once: every request of a signed-in browser runs it."""
    return (
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.user_id == bindparam("user_id"),
        )
    )


def signed_in_user(session_id: str | None, user_id: int) -> tuple[UserSession, User] | None:
    """The session SESSION_ID of user USER_ID and that user, read in one query (every request
    of a signed-in browser asks); None when there is no such session of that user."""
    if not session_id:
        return None
    row = db.session.execute(
        _signed_in_query(), {"token_hash": _hash(session_id), "user_id": user_id}
    ).first()
    return (row[0], row[1]) if row is not None else None


def check_record(record: UserSession, *, activity: bool = True) -> str | None:
    """None when RECORD is live (and, for ACTIVITY, mark it seen now); else why not.

    last_seen_at is written only when it is SEEN_RESOLUTION old or more, so it may lag the last
    request by up to that much: a session ends between PORTAL_SESSION_IDLE_MINUTES less one
    minute and PORTAL_SESSION_IDLE_MINUTES after the last activity, never later.
    """
    now = utcnow()
    reason = lapse_reason(record, now)
    if reason is not None:
        if record.ended_at is None:
            record.ended_at, record.end_reason = now, reason
            db.session.commit()
        return reason
    if activity and now - record.last_seen_at >= SEEN_RESOLUTION:
        record.last_seen_at = now
        db.session.commit()
    return None


def end_session(session_id: str | None, reason: str = Reason.SIGNED_OUT) -> bool:
    """End one session; False when there was no live one."""
    record = find_session(session_id)
    if record is None or record.ended_at is not None:
        return False
    record.ended_at, record.end_reason = utcnow(), reason
    return True


def end_session_of(user: User, record_id: int, reason: str = Reason.ENDED_BY_USER) -> bool:
    """End USER's session RECORD_ID (from their list of sessions); False when not live."""
    record = db.session.get(UserSession, record_id)
    if record is None or record.user_id != user.id or record.ended_at is not None:
        return False
    record.ended_at, record.end_reason = utcnow(), reason
    return True


def end_all_sessions(user: User, reason: str, *, keep: str | None = None) -> int:
    """End every live session of USER except the one whose id is KEEP; returns how many."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    if keep:
        query = query.where(UserSession.token_hash != _hash(keep))
    result = db.session.execute(
        query.values(ended_at=utcnow(), end_reason=reason),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def live_sessions(user: User) -> list[UserSession]:
    """USER's sessions that are still live, most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    ).all()
    return [row for row in rows if lapse_reason(row, now) is None]


def is_current(record: UserSession, session_id: str | None) -> bool:
    return bool(session_id) and record.token_hash == _hash(session_id)


def purge_old_sessions(now: datetime | None = None) -> int:
    """Delete rows ended, or past the absolute lifetime, more than KEEP_ENDED ago."""
    cutoff = (now or utcnow()) - KEEP_ENDED
    lifetime = timedelta(hours=current_settings().session_max_hours)
    result = db.session.execute(
        delete(UserSession).where(
            (UserSession.ended_at < cutoff) | (UserSession.created_at < cutoff - lifetime)
        )
    )
    db.session.commit()
    return result.rowcount or 0
