"""Pre-flight checks of a customer's OIDC issuer, before anything reaches Cognito."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from portal.oidc.ssrf import FetchFailed, FetchRefused, guarded_get

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One result of the pre-flight, tied to the form field it is about."""

    field: str
    level: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "level": self.level, "message": self.message}


class Findings:
    """A pre-flight's findings (the class using it has a `findings` list): passed when none is
    an error."""

    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not any(f.level == ERROR for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    def error(self, field_name: str, message: str) -> None:
        self.findings.append(Finding(field_name, ERROR, message))

    def warn(self, field_name: str, message: str) -> None:
        self.findings.append(Finding(field_name, WARNING, message))


@dataclass
class IssuerCheck(Findings):
    """What the pre-flight learnt about an issuer."""

    issuer: str
    document: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)


ENDPOINTS_TO_PROBE = (
    ("authorization_endpoint", "sign-in endpoint (authorization_endpoint)"),
    ("token_endpoint", "token endpoint (token_endpoint)"),
)
REFUSED_HINT = (
    " Your identity provider must be reachable over https from the public internet, because "
    "the sign-in service contacts it from there."
)
FAILED_HINT = (
    " Check the address for typing mistakes, and that your identity provider is reachable from "
    "the internet, not only from your office network or VPN."
)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def check_issuer(
    issuer: str,
    *,
    allow_loopback: bool = False,
    groups_claim: str | None = None,
    roles_claim: str | None = None,
    check_jwks: bool = True,
    check_endpoints: bool = False,
    timeout: float = 5.0,
) -> IssuerCheck:
    """Fetch the issuer's discovery document through the SSRF guard and check what Cognito needs."""
    issuer = (issuer or "").strip()
    result = IssuerCheck(issuer)
    if not issuer:
        result.error("issuer", "the issuer URL is required")
        return result
    document = _fetch_json(
        result,
        "issuer",
        discovery_url(issuer),
        allow_loopback,
        timeout,
        what="the discovery document",
    )
    if document is None:
        return result
    result.document = document
    _check_document(result, document, allow_loopback)
    if result.ok and check_jwks:
        _check_jwks(result, document["jwks_uri"], allow_loopback, timeout)
    if result.ok and check_endpoints:
        for key, label in ENDPOINTS_TO_PROBE:
            _probe(result, document[key], label, allow_loopback, timeout)
    _check_claims(result, document, groups_claim, roles_claim)
    return result


def _fetch_json(result, field_name, url, allow_loopback, timeout, what) -> dict[str, Any] | None:
    try:
        fetched = guarded_get(url, allow_loopback=allow_loopback, timeout=timeout)
    except FetchRefused as exc:
        result.error(field_name, f"The portal will not fetch {what}: {exc}.{REFUSED_HINT}")
        return None
    except FetchFailed as exc:
        result.error(field_name, f"Could not fetch {what} at {url}: {exc}.{FAILED_HINT}")
        return None
    if fetched.status != 200:
        result.error(
            field_name,
            f"{url} answered HTTP {fetched.status}, not the expected 200. "
            "Check the URL (copy it from your identity provider's settings).",
        )
        return None
    try:
        document = json.loads(fetched.body)
    except (ValueError, UnicodeDecodeError):
        hint = " (it looks like an HTML page)" if b"<html" in fetched.body[:2048].lower() else ""
        result.error(
            field_name,
            f"{url} did not return JSON{hint}. The issuer URL should be the "
            "base that /.well-known/openid-configuration is appended to.",
        )
        return None
    if not isinstance(document, dict):
        result.error(field_name, f"{url} returned JSON that is not an object")
        return None
    return document


def _check_document(result: IssuerCheck, doc: dict[str, Any], allow_loopback: bool) -> None:
    stated = doc.get("issuer")
    if stated != result.issuer:
        if isinstance(stated, str) and stated.rstrip("/") == result.issuer.rstrip("/"):
            result.error(
                "issuer",
                f"The issuer must be entered exactly as your provider states it: "
                f"{stated!r} (note the trailing slash).",
            )
        else:
            result.error(
                "issuer",
                f"The discovery document is for another issuer ({stated!r}), "
                f"not {result.issuer!r}. Enter the issuer your provider states.",
            )
    for key, label in (
        ("authorization_endpoint", "authorization endpoint"),
        ("token_endpoint", "token endpoint"),
        ("jwks_uri", "JWKS URL"),
    ):
        value = doc.get(key)
        if not isinstance(value, str) or not value:
            result.error("issuer", f"The discovery document has no {label} ({key}).")
        elif not (value.startswith("https://") or (allow_loopback and value.startswith("http://"))):
            result.error("issuer", f"The {label} {value!r} must use https.")
    response_types = doc.get("response_types_supported")
    # Exactly "code": a hybrid type such as "code id_token" is not the flow Cognito uses.
    if isinstance(response_types, list) and "code" not in response_types:
        result.error(
            "issuer",
            "The provider does not support the authorization-code flow "
            "(response type 'code'), which Cognito uses.",
        )
    scopes = doc.get("scopes_supported")
    if isinstance(scopes, list) and scopes and "openid" not in scopes:
        result.error("issuer", "The provider does not list the 'openid' scope as supported.")


def _check_jwks(result: IssuerCheck, jwks_uri: str, allow_loopback: bool, timeout: float) -> None:
    jwks = _fetch_json(
        result, "issuer", jwks_uri, allow_loopback, timeout, what="the signing keys (JWKS)"
    )
    if jwks is None:
        return
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        result.error("issuer", "The provider's JWKS holds no signing keys.")
        return
    if not all(isinstance(k, dict) and k.get("kty") for k in keys):
        result.error("issuer", "The provider's JWKS contains entries that are not JSON Web Keys.")


def _probe(result: IssuerCheck, url: str, label: str, allow_loopback: bool, timeout: float) -> None:
    """Any HTTP answer means reachable: these endpoints refuse a bare GET, and that is fine."""
    try:
        fetched = guarded_get(
            url,
            allow_loopback=allow_loopback,
            timeout=timeout,
            accept="*/*",
            follow_redirects=False,
        )
    except FetchRefused as exc:
        result.error("issuer", f"The portal will not contact the {label}: {exc}.{REFUSED_HINT}")
        return
    except FetchFailed as exc:
        result.error("issuer", f"The {label} {url} cannot be reached: {exc}.{FAILED_HINT}")
        return
    if fetched.status >= 500:
        result.warn(
            "issuer",
            f"The {label} {url} answered HTTP {fetched.status}, a server error; "
            "sign-in may fail until your identity provider has fixed it.",
        )


GOOGLE_ISSUER = "https://accounts.google.com"


def _check_claims(
    result: IssuerCheck, doc: dict[str, Any], groups_claim: str | None, roles_claim: str | None
) -> None:
    if groups_claim and doc.get("issuer") == GOOGLE_ISSUER:
        result.warn(
            "groups_claim",
            "Google Workspace sends no groups claim at all: leave the groups claim empty, so "
            "the test sign-in checks the e-mail alone.",
        )
        groups_claim = None
    claims = doc.get("claims_supported")
    if not isinstance(claims, list):
        return
    for field_name, claim in (("groups_claim", groups_claim), ("roles_claim", roles_claim)):
        if claim and claim not in claims:
            result.warn(
                field_name,
                f"The provider does not advertise a {claim!r} claim. Sign-in "
                "still works, but groups arrive only if the provider is set up "
                "to send that claim; the test sign-in will show what arrives.",
            )
