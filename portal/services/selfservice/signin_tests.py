"""Test sign-ins: a real authorization-code flow with PKCE through Cognito to the tenant's IdP.

The ID token is verified with joserfc (the JOSE library by Authlib's author, which Authlib's own
`authlib.jose` now defers to): it takes a key set we fetched ourselves, so the JWKS goes through
the SSRF guard like every other fetch, and it validates iss/aud/exp with an explicit algorithm
allow-list instead of trusting the token's header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
)
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import select, update

from portal.cognito.errors import CognitoError
from portal.cognito.pools import read_client_secret
from portal.config import current_settings
from portal.crypto import decrypt, encrypt
from portal.extensions import db
from portal.models import SetupLink, SignInOutcome, SignInTest, Tenant, TenantStatus, utcnow
from portal.oidc.ssrf import FetchFailed, FetchRefused, guarded_get, guarded_post
from portal.services import events
from portal.services.audit import trail
from portal.services.audit.actors import Actor, acting_as, current_actor
from portal.services.engine.desired import TEST_CALLBACK_PATH
from portal.services.engine.gateways import gateway_for
from portal.services.engine.ledger import TenantCallRecorder
from portal.services.selfservice.claim_report import (
    GROUPS_ATTRIBUTE,
    ROLES_ATTRIBUTE,
    ClaimReport,
    claim_report,
    decode_values,
)

STATE_TTL = timedelta(minutes=10)
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256"]  # what Cognito signs ID tokens with; never taken from the token itself
GROUPS_CLAIM = GROUPS_ATTRIBUTE
ROLES_CLAIM = ROLES_ATTRIBUTE
# Claims that only make sense to the protocol, or could be replayed: never stored or shown.
DROPPED_CLAIMS = frozenset({"nonce", "at_hash", "c_hash", "jti", "origin_jti", "event_id"})
MAX_ERROR_TEXT = 1000


class SignInNotPossible(Exception):
    """The tenant cannot be tested now; the message says why."""


class CallbackRefused(Exception):
    """The callback cannot be processed (unknown, replayed or foreign state)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def cognito_domain(tenant: Tenant) -> str:
    """The hosted domain the test uses: the pool's, unless a setting points elsewhere (tests)."""
    override = current_settings().cognito_domain_override
    return (override or tenant.pool.cognito_domain_url).rstrip("/")


def cognito_issuer(tenant: Tenant) -> str:
    override = current_settings().cognito_issuer_override
    return (override or tenant.pool.issuer).rstrip("/")


def callback_url() -> str:
    return current_settings().public_url + TEST_CALLBACK_PATH


def can_test(tenant: Tenant) -> bool:
    return (
        tenant.status == TenantStatus.READY
        and tenant.client_id is not None
        and tenant.pool is not None
    )


def latest_test(tenant: Tenant, link: SetupLink | None = None) -> SignInTest | None:
    query = select(SignInTest).where(SignInTest.tenant_id == tenant.id)
    if link is not None:
        query = query.where(SignInTest.setup_link_id == link.id)
    return db.session.scalar(query.order_by(SignInTest.id.desc()).limit(1))


def start_test(
    tenant: Tenant, link: SetupLink | None = None, link_token: str | None = None
) -> tuple[SignInTest, str]:
    """Record a pending test and return the Cognito authorize URL that starts it."""
    if not can_test(tenant):
        raise SignInNotPossible(
            f"A test sign-in is possible once the connection is ready (it is {tenant.status} now)."
        )
    _purge_stale(tenant)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 allows 43-128
    actor = current_actor()
    test = SignInTest(
        tenant_id=tenant.id,
        setup_link_id=link.id if link else None,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label[:300],
        state_hash=_sha256(state),
        nonce_hash=_sha256(nonce),
        code_verifier_encrypted=encrypt(verifier),
        return_token_encrypted=encrypt(link_token) if link_token else None,
        client_id=tenant.client_id,
        outcome=SignInOutcome.PENDING,
    )
    db.session.add(test)
    db.session.flush()
    trail.record(
        "signin_test.started",
        tenant,
        test_id=test.id,
        link_id=test.setup_link_id,
        provider_name=tenant.provider_name,
    )
    db.session.commit()
    query = {
        "response_type": "code",
        "client_id": tenant.client_id,
        "redirect_uri": callback_url(),
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64url(hashlib.sha256(verifier.encode("ascii")).digest()),
        "code_challenge_method": "S256",
        "identity_provider": tenant.provider_name,
    }
    return test, f"{cognito_domain(tenant)}/oauth2/authorize?{urlencode(query)}"


def authorize_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _purge_stale(tenant: Tenant) -> None:
    """Pending tests nobody finished: mark them abandoned and drop what they kept encrypted."""
    cutoff = utcnow() - STATE_TTL
    db.session.execute(
        update(SignInTest)
        .where(
            SignInTest.tenant_id == tenant.id,
            SignInTest.outcome == SignInOutcome.PENDING,
            SignInTest.started_at < cutoff,
        )
        .values(
            outcome=SignInOutcome.FAILED,
            error_code="abandoned",
            error_description="The sign-in was not completed within 10 minutes.",
            code_verifier_encrypted=None,
            return_token_encrypted=None,
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def find_by_state(state: str | None) -> SignInTest | None:
    if not state or len(state) > 256:
        return None
    return db.session.scalar(select(SignInTest).where(SignInTest.state_hash == _sha256(state)))


def claim(test: SignInTest) -> bool:
    """Take the test's state for this callback; a replayed state finds it taken."""
    result = db.session.execute(
        update(SignInTest)
        .where(
            SignInTest.id == test.id,
            SignInTest.consumed_at.is_(None),
            SignInTest.outcome == SignInOutcome.PENDING,
        )
        .values(consumed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(test)
    return result.rowcount == 1


def actor_of(test: SignInTest, ip: str | None, agent: str | None, request_id: str | None):
    """Whoever started the test is who finishes it in the audit log."""
    return Actor(test.actor_type, test.actor_id, test.actor_label, ip, agent, request_id)


@dataclass
class Finished:
    """What the callback page shows."""

    test: SignInTest
    back_token: str | None
    groups: list[str] | None = None
    warnings: list[str] = field(default_factory=list)
    report: ClaimReport | None = None


def finish_test(
    test: SignInTest,
    *,
    code: str | None,
    error: str | None,
    error_description: str | None,
    actor: Actor,
) -> Finished:
    """Exchange the code, verify the ID token and record the outcome (the state is claimed)."""
    back = decrypt(test.return_token_encrypted) if test.return_token_encrypted else None
    tenant = test.tenant
    with acting_as(actor):
        if test.started_at < utcnow() - STATE_TTL:
            return _fail(test, back, "expired", "The test took longer than 10 minutes. Try again.")
        if error:
            return _fail(test, back, error[:128], error_description or _error_hint(error))
        if not code:
            return _fail(test, back, "no_code", "The sign-in service sent no authorization code.")
        try:
            tokens = _exchange(test, tenant, code)
            claims = _verify(test, tenant, tokens.get("id_token"))
        except _Failure as failure:
            return _fail(test, back, failure.code, failure.description)
        return _succeed(test, tenant, back, claims)


class _Failure(Exception):
    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _allow_loopback() -> bool:
    return current_settings().allow_loopback_issuers


def _exchange(test: SignInTest, tenant: Tenant, code: str) -> dict[str, Any]:
    pool = tenant.pool
    gateway = gateway_for(pool.region, TenantCallRecorder(tenant.id))  # ledger: one entry
    try:
        if tenant.client_secret_kept_encrypted is not None:  # Cognito does not return it
            secret = decrypt(tenant.client_secret_kept_encrypted)
        else:
            secret = read_client_secret(gateway, pool.user_pool_id, test.client_id) or ""
    except CognitoError as exc:
        raise _Failure("client_unreadable", exc.explanation) from None
    verifier = decrypt(test.code_verifier_encrypted)
    basic = base64.b64encode(
        f"{quote(test.client_id, safe='')}:{quote(secret, safe='')}".encode()
    ).decode("ascii")
    try:
        answer = guarded_post(
            f"{cognito_domain(tenant)}/oauth2/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": callback_url(),
                "client_id": test.client_id,
                "code_verifier": verifier,
            },
            headers={"Authorization": f"Basic {basic}"},
            allow_loopback=_allow_loopback(),
        )
    except (FetchFailed, FetchRefused) as exc:
        raise _Failure("token_endpoint_unreachable", f"The token endpoint: {exc}") from None
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = {}
    if answer.status != 200 or not isinstance(body, dict):
        body = body if isinstance(body, dict) else {}
        raise _Failure(
            str(body.get("error") or f"http_{answer.status}")[:128],
            str(body.get("error_description") or "The token endpoint refused the code.")[
                :MAX_ERROR_TEXT
            ],
        )
    return body


def _verify(test: SignInTest, tenant: Tenant, id_token: object) -> dict[str, Any]:
    if not isinstance(id_token, str) or not id_token:
        raise _Failure("no_id_token", "The token endpoint returned no ID token.")
    issuer = cognito_issuer(tenant)
    keys = _key_set(issuer)
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": test.client_id},
            exp={"essential": True},
            nonce={"essential": True},
        ).validate(token.claims)
    except BadSignatureError:
        raise _Failure(
            "bad_signature", "The ID token's signature does not match the pool's signing keys."
        ) from None
    except ExpiredTokenError:
        raise _Failure("expired_token", "The ID token has expired.") from None
    except ClaimError as exc:
        raise _Failure(
            f"invalid_{exc.claim}", f"The ID token's {exc.claim!r} claim is wrong or missing."
        ) from None
    except (JoseError, ValueError) as exc:
        raise _Failure("invalid_id_token", f"The ID token cannot be read: {exc}") from None
    claims = dict(token.claims)
    if not hmac.compare_digest(_sha256(str(claims.get("nonce"))), test.nonce_hash):
        raise _Failure("invalid_nonce", "The ID token was not issued for this test (nonce).")
    if claims.get("token_use", "id") != "id":
        raise _Failure("invalid_token_use", "The token is not an ID token.")
    return claims


def _key_set(issuer: str) -> KeySet:
    """The pool's signing keys, via its discovery document, through the SSRF guard."""
    try:
        found = guarded_get(
            f"{issuer}/.well-known/openid-configuration", allow_loopback=_allow_loopback()
        )
        jwks_uri = json.loads(found.body).get("jwks_uri") if found.status == 200 else None
        if not isinstance(jwks_uri, str):
            jwks_uri = f"{issuer}/.well-known/jwks.json"
        fetched = guarded_get(jwks_uri, allow_loopback=_allow_loopback())
        return KeySet.import_key_set(json.loads(fetched.body))
    except (FetchFailed, FetchRefused) as exc:
        raise _Failure("jwks_unreachable", f"The pool's signing keys: {exc}") from None
    except (ValueError, TypeError, JoseError, AttributeError) as exc:
        raise _Failure("jwks_invalid", f"The pool's signing keys cannot be read: {exc}") from None


def shown_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The claims worth keeping and showing: protocol values and secret-looking ones removed."""
    kept = {}
    for name, value in claims.items():
        if name in DROPPED_CLAIMS or trail._is_secret_key(name):
            continue
        kept[name] = value
    return kept


def parse_groups(value: object) -> list[str] | None:
    """custom:groups as a list of readable names (see claim_report.decode_values)."""
    return decode_values(value)


def _succeed(test: SignInTest, tenant: Tenant, back: str | None, claims: dict) -> Finished:
    """Signed in: verified when every expected claim arrived, else 'signed in, claims missing'."""
    now = utcnow()
    kept = shown_claims(claims)
    report = claim_report(kept, tenant)
    test.claims, test.finished_at = kept, now
    test.outcome = SignInOutcome.SUCCEEDED if report.complete else SignInOutcome.CLAIMS_MISSING
    test.code_verifier_encrypted = test.return_token_encrypted = None
    groups = report.values_of(GROUPS_CLAIM)
    before = {"verified_at": tenant.verified_at, "verified_by": tenant.verified_by}
    if not report.complete:
        trail.record(
            "signin_test.claims_missing",
            tenant,
            test_id=test.id,
            claim_names=sorted(kept),
            missing=report.missing,
        )
        if tenant.verified_at is not None:  # a newer test shows the sign-in no longer delivers
            tenant.verified_at = tenant.verified_by = None
            trail.record(
                "tenant.unverified",
                tenant,
                before=before,
                after={"verified_at": None, "verified_by": None},
                test_id=test.id,
                missing=report.missing,
            )
        db.session.commit()
        return Finished(test, back, groups, report.warnings, report)
    tenant.verified_at, tenant.verified_by = now, test.actor_label[:254]
    trail.record(
        "signin_test.succeeded",
        tenant,
        test_id=test.id,
        claim_names=sorted(kept),
        groups_arrived=groups is not None,
        warnings=report.warnings,
    )
    trail.record(
        "tenant.verified",
        tenant,
        before=before,
        after={"verified_at": now, "verified_by": tenant.verified_by},
        test_id=test.id,
    )
    events.publish(events.TENANT_VERIFIED, tenant, test_id=test.id, verified_by=tenant.verified_by)
    db.session.commit()
    return Finished(test, back, groups, report.warnings, report)


def _fail(test: SignInTest, back: str | None, code: str, description: str) -> Finished:
    test.outcome, test.finished_at = SignInOutcome.FAILED, utcnow()
    test.error_code, test.error_description = code[:128], description[:MAX_ERROR_TEXT]
    test.code_verifier_encrypted = test.return_token_encrypted = None
    trail.record(
        "signin_test.failed",
        test.tenant,
        test_id=test.id,
        error_code=test.error_code,
        error_description=test.error_description,
    )
    db.session.commit()
    return Finished(test, back)


ERROR_HINTS = {
    "access_denied": "The sign-in was cancelled or refused at the identity provider.",
    "invalid_request": "The sign-in service refused the request.",
    "unauthorized_client": "The application is not allowed to sign in this way.",
    "invalid_scope": "The sign-in service does not accept the requested scope.",
    "server_error": "The sign-in service or the identity provider had an error.",
}


def _error_hint(error: str) -> str:
    return ERROR_HINTS.get(error, "The sign-in did not complete.")


def failure_advice(test: SignInTest) -> str | None:
    """A next step for a failed test, in words for an IT admin."""
    if test.outcome != SignInOutcome.FAILED:
        return None
    text = f"{test.error_code} {test.error_description or ''}".lower()
    if "redirect" in text:
        return (
            "Check that the redirect URI registered at your identity provider is exactly the "
            "one shown on the set-up page."
        )
    if "client" in text and ("secret" in text or "invalid_client" in text):
        return "Check the client ID and secret; if the secret was changed, ask for a new link."
    if "access_denied" in text or "not assigned" in text:
        return (
            "Make sure the user who signs in is assigned to the application at your identity "
            "provider."
        )
    if test.error_code in ("expired", "abandoned"):
        return "Start the test again and finish the sign-in within 10 minutes."
    return None
