"""Idempotency keys for API POSTs: a repeat of the same request gets the first response again.

The key is scoped to the token that sent it and kept for a day. The same key with a different
request (method, path or body) is refused, so a client bug cannot silently reuse an old answer.
While the first request is still being worked on, a repeat is told to wait (409) rather than
starting the work a second time.

A response may carry a secret shown only once (a setup link's URL): every stored response body
is encrypted with the portal's keys, like the customer's IdP secret, so the kept day never holds
one in plain text; a replay decrypts it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from portal.crypto import decrypt, encrypt
from portal.extensions import db
from portal.models import IdempotencyKey, utcnow

KEEP_FOR = timedelta(hours=24)
# A placeholder older than this belongs to a request that died; a retry may take it over.
ABANDONED_AFTER = timedelta(minutes=2)
REPLAYED_HEADERS = ("Content-Type", "Location")
# Every Fernet token starts so (version byte 0x80, then the time); a JSON body never does.
FERNET_PREFIX = "gAAAAA"


@dataclass(frozen=True)
class Claim:
    """What to do with a request carrying an idempotency key."""

    outcome: str  # "new" | "replay" | "mismatch" | "in_progress"
    record: IdempotencyKey | None = None


def fingerprint(method: str, path: str, body: bytes) -> str:
    """A hash of what the request asks for; JSON bodies are compared by content, not layout."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def claim(token_id: int, key: str, print_: str) -> Claim:
    """Reserve KEY for this request (committed at once), or say how an earlier use ended."""
    now = utcnow()
    existing = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.token_id == token_id, IdempotencyKey.key == key)
    )
    if existing is not None and (
        existing.expires_at <= now
        or (existing.status_code is None and now - existing.created_at > ABANDONED_AFTER)
    ):
        db.session.delete(existing)
        db.session.commit()
        existing = None
    if existing is None:
        record = IdempotencyKey(
            token_id=token_id,
            key=key,
            fingerprint=print_,
            created_at=now,
            expires_at=now + KEEP_FOR,
            response_headers={},
        )
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:  # the same key arrived twice at the same moment
            db.session.rollback()
            return claim(token_id, key, print_)
        return Claim("new", record)
    if existing.fingerprint != print_:
        return Claim("mismatch", existing)
    if existing.status_code is None:
        return Claim("in_progress", existing)
    return Claim("replay", existing)


def complete(record_id: int, status_code: int, body: str, headers: dict[str, str]) -> None:
    """Store the response the key's first request got."""
    db.session.rollback()  # whatever the view left unfinished is not part of this
    record = db.session.get(IdempotencyKey, record_id)
    if record is None:
        return
    record.status_code = status_code
    record.response_body = encrypt(body).decode("ascii")
    record.response_headers = {k: v for k, v in headers.items() if k in REPLAYED_HEADERS}
    db.session.commit()


def stored_body(record: IdempotencyKey) -> str:
    """The response body to replay (raises SecretUnreadable if its key has been removed)."""
    body = record.response_body or ""
    if not body.startswith(FERNET_PREFIX):
        return body  # stored before bodies were encrypted (the migration removed any secret)
    return decrypt(body.encode("ascii"))


def release(record_id: int) -> None:
    """Forget the key after a server error, so that the client's retry really runs again."""
    db.session.rollback()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record_id))
    db.session.commit()


def purge_expired() -> int:
    """Delete keys past their day; run by the beat schedule."""
    result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow()))
    db.session.commit()
    return int(result.rowcount or 0)
