"""`portal pools check`: can this user pool take tenants, and may the portal do its work there?

Everything is read from Cognito, nothing is changed. Reads prove only reads, so each write the
portal needs is proved by a call that cannot change anything: the same operation on a resource
that does not exist (ResourceNotFound means IAM let the call through; AccessDenied means the
action is missing), or a request Cognito must refuse after authorising it (a client naming a
provider that does not exist, a provider without details).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from portal.cognito.desired import CUSTOM_ATTRIBUTE_MAX_LENGTH, GROUPS_ATTRIBUTE, ROLES_ATTRIBUTE
from portal.cognito.errors import CREDENTIAL_CODES, CognitoError
from portal.cognito.gateway import CognitoGateway
from portal.cognito.operations import takes_user_pool, used_operations
from portal.cognito.pools import PoolFacts, read_pool

BLOCKING, WARNING, OK = "blocking", "warning", "ok"
MAX_STYLES = 20  # per pool, fixed ("Quotas in Amazon Cognito", resource quotas)
MAX_CUSTOM_ATTRIBUTES = 50  # per pool, fixed
MANAGED_LOGIN_PLANS = ("ESSENTIALS", "PLUS")  # developer guide, "User pool feature plans"
# The standard attributes a federated sign-in always fills without a mapping of ours.
ALWAYS_FILLED = frozenset({"sub", "email"})
DENIED = "AccessDeniedException"
# Answers that can only come after IAM allowed the call.
AUTHORISED_REFUSALS = frozenset(
    {
        "ResourceNotFoundException",
        "UserNotFoundException",
        "InvalidParameterException",
        "OperationNotEnabledException",
        "LimitExceededException",
    }
)


@dataclass
class Finding:
    topic: str
    severity: str  # blocking | warning | ok
    message: str


@dataclass
class PoolCheck:
    user_pool_id: str
    region: str
    facts: PoolFacts | None = None
    findings: list[Finding] = field(default_factory=list)
    permissions: dict[str, str] = field(default_factory=dict)  # action -> allowed|missing|...

    def add(self, topic: str, severity: str, message: str) -> None:
        self.findings.append(Finding(topic, severity, message))

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == BLOCKING]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def can_take_tenants(self) -> bool:
        return not self.blocking

    def to_dict(self) -> dict[str, Any]:
        facts = self.facts
        return {
            "user_pool_id": self.user_pool_id,
            "region": self.region,
            "can_take_tenants": self.can_take_tenants,
            "pool": None
            if facts is None
            else {
                "name": facts.name,
                "domain": facts.domain or None,
                "custom_domain": facts.custom_domain,
                "managed_login_version": facts.managed_login_version or None,
                "feature_plan": facts.reported_feature_plan,
                "deletion_protection": facts.deletion_protection,
                "app_clients": facts.client_count,
                "identity_providers": facts.identity_provider_count,
                "managed_login_styles": facts.style_count,
            },
            "findings": [asdict(f) for f in self.findings],
            "permissions": dict(sorted(self.permissions.items())),
        }


def check_pool(
    gateway: CognitoGateway,
    user_pool_id: str,
    *,
    max_clients: int = 1000,
    max_identity_providers: int = 300,
    progress: Callable[[str], None] = lambda _m: None,
) -> PoolCheck:
    """Every finding about the pool; NotFoundError if it does not exist."""
    check = PoolCheck(user_pool_id, gateway.region)
    try:
        facts = read_pool(gateway, user_pool_id, require_domain=False, progress=progress)
    except CognitoError as error:
        if error.code not in CREDENTIAL_CODES:
            raise
        check.add("permissions", BLOCKING, error.explanation)
        check.permissions[error.operation] = "missing"
        return check
    check.facts = facts
    for action in ("DescribeUserPool", "ListUserPoolClients", "ListIdentityProviders"):
        check.permissions[action] = "allowed"
    if facts.domain:
        check.permissions["DescribeUserPoolDomain"] = "allowed"
    _check_domain_and_plan(check, facts)
    _check_schema(check, facts)
    _check_usage(check, facts, max_clients, max_identity_providers)
    progress("checking the portal's permissions")
    _check_permissions(check, gateway, facts)
    return check


def _check_domain_and_plan(check: PoolCheck, facts: PoolFacts) -> None:
    if not facts.domain:
        check.add(
            "domain",
            BLOCKING,
            "The pool has no domain, so it has no sign-in pages. Add a Cognito prefix or custom "
            "domain (CreateUserPoolDomain, or App integration > Domain in the console).",
        )
    else:
        kind = "custom domain" if facts.custom_domain else "prefix domain"
        login = "managed login" if facts.managed_login_version >= 2 else "classic hosted UI"
        check.add(
            "domain",
            OK,
            f"{kind} {facts.domain}, {login} (version {facts.managed_login_version})",
        )
    plan = facts.reported_feature_plan
    if plan is None:
        check.add(
            "feature plan",
            WARNING,
            "Cognito did not report the pool's feature plan (UserPoolTier); managed login "
            "needs Essentials or Plus.",
        )
    elif facts.managed_login_version >= 2 and plan not in MANAGED_LOGIN_PLANS:
        check.add(
            "feature plan",
            BLOCKING,
            f"The pool is on the {plan} plan: managed login (and its styles) needs Essentials "
            "or Plus.",
        )
    else:
        check.add("feature plan", OK, plan)
    protection = facts.deletion_protection
    if protection == "ACTIVE":
        check.add("deletion protection", OK, "active")
    else:
        check.add(
            "deletion protection",
            WARNING,
            "Cognito did not report deletion protection; turn it on so the pool cannot be "
            "deleted with every tenant in it."
            if protection is None
            else "Deletion protection is off: a single DeleteUserPool would remove every tenant.",
        )


def _check_schema(check: PoolCheck, facts: PoolFacts) -> None:
    schema = {a.get("Name"): a for a in facts.schema}
    required = sorted(n for n, a in schema.items() if a.get("Required") and n not in ALWAYS_FILLED)
    if required:
        check.add(
            "required attributes",
            BLOCKING,
            "The pool makes these attributes required: "
            + ", ".join(required)
            + ". A federated sign-in needs a mapping for each, and every app client must be "
            "able to write them; the portal maps only e-mail and groups. Use a pool whose only "
            "required attribute is email (required attributes cannot be changed).",
        )
    else:
        check.add("required attributes", OK, "none besides email")
    email = schema.get("email")
    if email is not None and not email.get("Mutable", True):
        check.add(
            "required attributes",
            BLOCKING,
            "email is not mutable in this pool: Cognito rewrites mapped attributes at every "
            "federated sign-in, so that sign-in would fail. Use another pool.",
        )
    for name, severity in ((GROUPS_ATTRIBUTE, BLOCKING), (ROLES_ATTRIBUTE, WARNING)):
        attribute = schema.get(name)
        if attribute is None:
            continue
        limit = (attribute.get("StringAttributeConstraints") or {}).get("MaxLength")
        if not attribute.get("Mutable", False) or attribute.get("AttributeDataType") != "String":
            who = "no tenant" if severity == BLOCKING else "no tenant with a roles claim"
            check.add(
                name,
                severity,
                f"{name} exists but is not a mutable String, so identity providers cannot write "
                f"it; custom attributes can never be changed: {who} can be placed here.",
            )
        elif limit is not None and int(limit) < int(CUSTOM_ATTRIBUTE_MAX_LENGTH):
            check.add(
                name,
                WARNING,
                f"{name} holds at most {limit} characters (the portal makes it "
                f"{CUSTOM_ATTRIBUTE_MAX_LENGTH}): long group lists will fail the sign-in.",
            )
        else:
            check.add(name, OK, f"mutable String, up to {limit or 'the default'} characters")
    custom = [n for n in schema if str(n).startswith("custom:")]
    if GROUPS_ATTRIBUTE not in schema and len(custom) >= MAX_CUSTOM_ATTRIBUTES:
        check.add(
            GROUPS_ATTRIBUTE,
            BLOCKING,
            f"The pool has {len(custom)} custom attributes, AWS's fixed maximum, and no "
            f"{GROUPS_ATTRIBUTE}: it cannot be added.",
        )


def _check_usage(check: PoolCheck, facts: PoolFacts, max_clients: int, max_idps: int) -> None:
    rows = [
        ("app clients", facts.client_count, max_clients),
        ("identity providers", facts.identity_provider_count, max_idps),
    ]
    if facts.managed_login_version >= 2:
        rows.append(("managed-login styles", facts.style_count, MAX_STYLES))
    for name, used, limit in rows:
        if used >= limit:
            check.add("quotas", BLOCKING, f"{name} {used}/{limit}: full")
        elif used >= 0.8 * limit:
            check.add("quotas", WARNING, f"{name} {used}/{limit}: at least 80% used")
        else:
            check.add("quotas", OK, f"{name} {used}/{limit}")


@dataclass(frozen=True)
class Ghosts:
    """Names of things that do not exist, for probes that must not find anything."""

    client_id: str = field(default_factory=lambda: "portalcheck" + secrets.token_hex(8))
    provider: str = field(default_factory=lambda: "portal-check-" + secrets.token_hex(6))
    username: str = field(default_factory=lambda: "portal-check-" + secrets.token_hex(8))
    style_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret_id: str = field(default_factory=lambda: str(uuid.uuid4()))


Probe = Callable[[CognitoGateway, str, Ghosts, PoolFacts], Any]

# One harmless call per operation the portal makes (each operation a literal, so that
# `portal aws-policy` and its test see them). Reads that read_pool made are not repeated.
PROBES: dict[str, Probe] = {
    "DescribeUserPoolDomain": lambda g, p, x, f: g.call(
        "DescribeUserPoolDomain", None, Domain=f.domain or x.provider
    ),
    "DescribeUserPoolClient": lambda g, p, x, f: g.call(
        "DescribeUserPoolClient", p, ClientId=x.client_id
    ),
    # A read: the pool's SAML signing certificate (SAML tenants with signed requests or sign-out).
    "GetSigningCertificate": lambda g, p, x, f: g.call("GetSigningCertificate", p),
    "UpdateUserPoolClient": lambda g, p, x, f: g.call(
        "UpdateUserPoolClient", p, ClientId=x.client_id
    ),
    "DeleteUserPoolClient": lambda g, p, x, f: g.call(
        "DeleteUserPoolClient", p, ClientId=x.client_id
    ),
    # Refused after authorisation: the only provider it names does not exist.
    "CreateUserPoolClient": lambda g, p, x, f: g.call(
        "CreateUserPoolClient",
        p,
        ClientName=x.provider,
        SupportedIdentityProviders=[x.provider],
    ),
    "DescribeIdentityProvider": lambda g, p, x, f: g.call(
        "DescribeIdentityProvider", p, ProviderName=x.provider
    ),
    "UpdateIdentityProvider": lambda g, p, x, f: g.call(
        "UpdateIdentityProvider", p, ProviderName=x.provider
    ),
    "DeleteIdentityProvider": lambda g, p, x, f: g.call(
        "DeleteIdentityProvider", p, ProviderName=x.provider
    ),
    # Refused after authorisation: an OIDC provider without client id, issuer or scopes.
    "CreateIdentityProvider": lambda g, p, x, f: g.call(
        "CreateIdentityProvider",
        p,
        ProviderName=x.provider,
        ProviderType="OIDC",
        ProviderDetails={},
    ),
    "CreateManagedLoginBranding": lambda g, p, x, f: g.call(
        "CreateManagedLoginBranding", p, ClientId=x.client_id, UseCognitoProvidedValues=True
    ),
    "DescribeManagedLoginBrandingByClient": lambda g, p, x, f: g.call(
        "DescribeManagedLoginBrandingByClient", p, ClientId=x.client_id
    ),
    "DeleteManagedLoginBranding": lambda g, p, x, f: g.call(
        "DeleteManagedLoginBranding", p, ManagedLoginBrandingId=x.style_id
    ),
    "AddUserPoolClientSecret": lambda g, p, x, f: g.call(
        "AddUserPoolClientSecret", p, ClientId=x.client_id
    ),
    "ListUserPoolClientSecrets": lambda g, p, x, f: g.call(
        "ListUserPoolClientSecrets", p, ClientId=x.client_id
    ),
    "DeleteUserPoolClientSecret": lambda g, p, x, f: g.call(
        "DeleteUserPoolClientSecret", p, ClientId=x.client_id, ClientSecretId=x.secret_id
    ),
    "ListUsers": lambda g, p, x, f: g.call(
        "ListUsers", p, Limit=1, Filter=f'username = "{x.username}"'
    ),
    "AdminDeleteUser": lambda g, p, x, f: g.call("AdminDeleteUser", p, Username=x.username),
    # Refused after authorisation: the attribute exists already (only possible when one does).
    "AddCustomAttributes": lambda g, p, x, f: g.call(
        "AddCustomAttributes",
        p,
        CustomAttributes=[
            {"Name": f.custom_attributes[0].removeprefix("custom:"), "AttributeDataType": "String"}
        ],
    ),
}


def _check_permissions(check: PoolCheck, gateway: CognitoGateway, facts: PoolFacts) -> None:
    ghosts = Ghosts()
    for operation in used_operations():
        if operation in check.permissions:
            continue
        probe = PROBES.get(operation)
        if probe is None or (operation == "AddCustomAttributes" and not facts.custom_attributes):
            check.permissions[operation] = "not checked"
            check.add(
                "permissions",
                WARNING,
                f"cognito-idp:{operation} could not be checked without changing the pool; "
                "make sure the role allows it (`portal aws-policy` lists it).",
            )
            continue
        try:
            probe(gateway, check.user_pool_id, ghosts, facts)
            code = None
        except CognitoError as error:
            code = error.code
        if code is None or code in AUTHORISED_REFUSALS:
            check.permissions[operation] = "allowed"
        elif code == DENIED or code in CREDENTIAL_CODES:
            check.permissions[operation] = "missing"
            statement = (
                "CognitoTenantResources"
                if takes_user_pool(operation)
                else "CognitoActionsWithoutResourceScope"
            )
            check.add(
                "permissions",
                BLOCKING,
                f"cognito-idp:{operation} is not allowed ({code}). Grant it: `portal aws-policy "
                f"--pool {check.user_pool_id}` prints it in the statement {statement}, line "
                f'"cognito-idp:{operation}".',
            )
        else:
            check.permissions[operation] = f"unknown ({code})"
            check.add(
                "permissions",
                WARNING,
                f"cognito-idp:{operation}: the harmless probe answered {code}, which proves "
                "neither way; make sure the role allows it.",
            )
    allowed = sum(1 for v in check.permissions.values() if v == "allowed")
    if "missing" not in check.permissions.values():
        check.add("permissions", OK, f"{allowed}/{len(check.permissions)} actions allowed")
