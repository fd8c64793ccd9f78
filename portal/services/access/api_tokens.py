"""API tokens: made and shown once, stored as a SHA-256 hash, revoked, and checked on each call.

A token reads `ptk_<prefix>_<secret>`: the prefix (12 hex characters) is the token's id, shown
to people and in audit events; the secret (256 random bits) is only ever kept hashed. SHA-256,
not a slow password hash, is right here: the secret is random and long, so it cannot be guessed
from its hash, and every API call must check it quickly.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiToken, Tenant, TokenKind, User, utcnow
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.validation import ValidationError

TOKEN_PREFIX = "ptk"  # noqa: S105 - a label, not a secret
MAX_NAME = 100
# last_used_at is written at most this often per token, so busy tokens do not write every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: the row and the plaintext, which is shown once and never again."""

    token: ApiToken
    plaintext: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_name(name: str | None, default: str) -> str:
    value = (name or "").strip() or default
    if len(value) > MAX_NAME:
        raise ValidationError("name", f"the name is longer than {MAX_NAME} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("name", "the name contains control characters")
    return value


def _new_token(kind: str, name: str) -> IssuedToken:
    while True:
        prefix = secrets.token_hex(6)
        if db.session.scalar(select(ApiToken.id).where(ApiToken.prefix == prefix)) is None:
            break
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        prefix=prefix,
        secret_hash=_hash(secret),
        kind=kind,
        name=name,
        created_by=current_actor().label[:300],
    )
    return IssuedToken(token, f"{TOKEN_PREFIX}_{prefix}_{secret}")


def create_personal_token(user: User, name: str | None = None) -> IssuedToken:
    """A token that acts as USER, with whatever role USER holds when it is used."""
    if not user.is_enabled:
        raise ValidationError("email", f"{user.email} is disabled")
    issued = _new_token(TokenKind.PERSONAL, _check_name(name, "API token"))
    issued.token.user = user
    db.session.add(issued.token)
    db.session.flush()
    trail.record(
        "api_token.created",
        token_id=issued.token.prefix,
        kind=TokenKind.PERSONAL.value,
        label=issued.token.name,
        owner=user.email,
    )
    db.session.commit()
    return issued


def resolve_tenants(slugs: list[str]) -> list[Tenant]:
    """The tenants named by SLUGS, refusing any unknown slug."""
    wanted = list(dict.fromkeys(s.strip() for s in slugs if s and s.strip()))
    found = {
        t.slug: t for t in db.session.scalars(select(Tenant).where(Tenant.slug.in_(wanted))).all()
    }
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise ValidationError("tenants", "no tenant has the slug " + ", ".join(unknown))
    return [found[s] for s in wanted]


def create_application_token(name: str, tenant_slugs: list[str] | None = None) -> IssuedToken:
    """A token for the vendor's application: it can only read OIDC settings (of TENANT_SLUGS)."""
    label = _check_name(name, "")
    if not label:
        raise ValidationError("name", "name the application that will use the token")
    tenants = resolve_tenants(tenant_slugs or [])
    issued = _new_token(TokenKind.APPLICATION, label)
    issued.token.all_tenants = not tenants
    issued.token.tenants = tenants
    db.session.add(issued.token)
    db.session.flush()
    trail.record(
        "api_token.created",
        token_id=issued.token.prefix,
        kind=TokenKind.APPLICATION.value,
        label=label,
        tenants=[t.slug for t in tenants] or "all",
    )
    db.session.commit()
    return issued


def find_token(token_id: str) -> ApiToken | None:
    """A token by its id (the prefix), also accepting the whole token string."""
    value = (token_id or "").strip()
    if value.startswith(f"{TOKEN_PREFIX}_"):
        value = value.split("_", 2)[1]
    return db.session.scalar(select(ApiToken).where(ApiToken.prefix == value))


def revoke_token(token: ApiToken) -> bool:
    """Revoke TOKEN at once; False when it was revoked already (nothing changes then)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    token.revoked_by = current_actor().label[:300]
    trail.record(
        "api_token.revoked",
        token_id=token.prefix,
        kind=token.kind,
        label=token.name,
        owner=token.user.email if token.user else None,
    )
    db.session.commit()
    return True


def authenticate(presented: str, source_ip: str | None = None) -> ApiToken | None:
    """The live token PRESENTED stands for, or None (unknown, wrong secret, revoked, disabled)."""
    parts = (presented or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == parts[1]))
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(parts[2])):
        return None
    if token.revoked_at is not None:
        return None
    if token.kind == TokenKind.PERSONAL and (token.user is None or not token.user.is_enabled):
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at, token.last_used_ip = now, (source_ip or "")[:64] or None
        db.session.commit()
    return token


def lacks_required_totp(token: ApiToken) -> bool:
    """A personal token whose owner does not meet the portal's TOTP policy: it may not act for
    them, or a token would bypass the second factor the web asks of the same person."""
    from portal.services.access.portal_settings import totp_required

    if token.kind != TokenKind.PERSONAL or token.user is None:
        return False
    return not token.user.totp_secret_encrypted and totp_required()


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        ).all()
    )


def application_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.kind == TokenKind.APPLICATION)
            .order_by(ApiToken.id.desc())
        ).all()
    )


def all_personal_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.kind == TokenKind.PERSONAL)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        ).all()
    )
