"""Which of the claims a tenant expects arrived in a test sign-in, and how to fix a missing one.

The tenant counts as verified only when every expected claim arrived: e-mail always, groups and
roles when the tenant maps them. Fixes are worded for the customer's provider, told apart by
its issuer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from portal.models import Tenant

GROUPS_ATTRIBUTE = "custom:groups"
ROLES_ATTRIBUTE = "custom:roles"
GROUPS_LIMIT_BYTES = 2048

# How to make each provider send a claim; {claim} is the claim name the tenant configured.
FIXES: dict[str, dict[str, str]] = {
    "email": {
        "okta": "Keep the scopes 'openid email' and give the user a primary e-mail in Okta.",
        "entra": "In Entra ID, App registration → Token configuration → Add optional claim → "
        "ID → email, and give the user a mail address.",
        "google": "Keep the scopes 'openid email': Google sends the e-mail with that scope.",
        "auth0": "Keep the scopes 'openid email' and give the user an e-mail in Auth0.",
        "keycloak": "In Keycloak, add the 'email' client scope to the client as a Default scope "
        "and give the user an e-mail.",
        "generic": "Make your provider send an 'email' claim in the ID token or user info "
        "(usually with the 'email' scope).",
    },
    "groups": {
        "okta": "In Okta, Applications → your app → Sign On → OpenID Connect ID Token → Groups "
        "claim: name '{claim}', filter 'Matches regex .*'; assign the user to a group of the app.",
        "entra": "In Entra ID, App registration → Token configuration → Add groups claim "
        "(security groups, ID token); Entra names the claim 'groups'.",
        "google": "Google Workspace sends no groups claim at all: leave the groups claim empty "
        "(on your setup page, or ask your vendor), then test again.",
        "auth0": "Add a post-login Action that sets the claim '{claim}' on the ID token "
        "(Auth0 sends no groups by itself).",
        "keycloak": "In Keycloak, add a 'Group Membership' mapper to the client's dedicated "
        "scope: token claim name '{claim}', Add to ID token on, Full group path off.",
        "generic": "Make your provider send a claim named '{claim}' (a list of group names) in "
        "the ID token or user info, for a user in at least one group.",
    },
    "roles": {
        "okta": "In Okta, add a claim '{claim}' to the ID token (Security → API → "
        "Authorization servers → Claims).",
        "entra": "In Entra ID, define App roles in the app registration and assign the user one; "
        "Entra sends them as 'roles'.",
        "google": "Google Workspace sends no roles claim: ask your vendor to set this tenant up "
        "without roles.",
        "auth0": "Add a post-login Action that sets the claim '{claim}' on the ID token.",
        "keycloak": "In Keycloak, add a 'User Realm Role' or 'User Client Role' mapper with "
        "token claim name '{claim}', Add to ID token on.",
        "generic": "Make your provider send a claim named '{claim}' in the ID token or user info.",
    },
}
ISSUER_HINTS = (
    ("okta", ("okta.com", "oktapreview.com", "okta-emea.com")),
    ("entra", ("login.microsoftonline.com", "sts.windows.net", "ciamlogin.com")),
    ("google", ("accounts.google.com",)),
    ("auth0", ("auth0.com",)),
    ("keycloak", ("/realms/",)),
)


def provider_kind(issuer: str | None) -> str:
    """okta, entra, google, auth0, keycloak or generic, from the issuer URL."""
    text = (issuer or "").lower()
    for kind, hints in ISSUER_HINTS:
        if any(hint in text for hint in hints):
            return kind
    return "generic"


def decode_values(value: object) -> list[str] | None:
    """A claim as a list of readable values, None when it did not arrive.

    Cognito stores an array as one string like '[a, b]' and form-encodes multi-valued attribute
    values ('Domain+Admins' or 'Domain%20Admins'): each value is decoded with unquote_plus.
    """
    if value is None:
        return None
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        text = str(value).strip()
        items = None
        if text.startswith("["):
            try:
                parsed = json.loads(text)
                if isinstance(parsed, list):
                    items = [str(v) for v in parsed]
            except ValueError:
                text = text.strip("[]")
        if items is None:
            items = [part.strip() for part in text.split(",")]
    return [unquote_plus(item).strip() for item in items if item.strip()]


@dataclass(frozen=True)
class ClaimCheck:
    """One expected claim: where it comes from, what arrived, and the fix if it did not."""

    label: str
    attribute: str
    idp_claim: str
    values: list[str] | None
    fix: str

    @property
    def present(self) -> bool:
        return bool(self.values)

    @property
    def state(self) -> str:
        if self.values is None:
            return "missing"
        return "present" if self.values else "empty"


@dataclass(frozen=True)
class ClaimReport:
    """The expected claims of one test sign-in; complete means the tenant may be verified."""

    checks: list[ClaimCheck]
    warnings: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(check.present for check in self.checks)

    @property
    def missing(self) -> list[str]:
        return [check.attribute for check in self.checks if not check.present]

    def values_of(self, attribute: str) -> list[str] | None:
        return next((c.values for c in self.checks if c.attribute == attribute), None)


def claim_report(claims: dict[str, Any] | None, tenant: Tenant) -> ClaimReport:
    """Check the claims that arrived against what TENANT expects."""
    claims = claims or {}
    kind = provider_kind(tenant.issuer)
    # A SAML IdP names its e-mail attribute itself (Entra: a claim-type URI); OIDC sends email.
    expected = [("E-mail", "email", tenant.email_attribute or "email", "email")]
    if tenant.groups_claim:
        expected.append(("Groups", GROUPS_ATTRIBUTE, tenant.groups_claim, "groups"))
    if tenant.roles_claim:
        expected.append(("Roles", ROLES_ATTRIBUTE, tenant.roles_claim, "roles"))
    checks = [
        ClaimCheck(
            label=label,
            attribute=attribute,
            idp_claim=idp_claim,
            values=decode_values(claims.get(attribute)),
            fix=FIXES[fix_key][kind].format(claim=idp_claim),
        )
        for label, attribute, idp_claim, fix_key in expected
    ]
    warnings = []
    raw = claims.get(GROUPS_ATTRIBUTE)
    size = len(json.dumps(raw)) if isinstance(raw, list) else len(str(raw or "").encode("utf-8"))
    if size > GROUPS_LIMIT_BYTES * 0.9:
        warnings.append(
            f"The groups take {size} bytes, close to the {GROUPS_LIMIT_BYTES}-byte limit of "
            "Amazon Cognito. Send fewer groups (a filter, or only groups assigned to the "
            "application), or users in more groups will fail to sign in."
        )
    return ClaimReport(checks, warnings)
