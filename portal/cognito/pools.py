"""Reading a user pool's facts and usage from Cognito, for registering it with the portal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from portal.cognito.errors import NotFoundError, PermanentError
from portal.cognito.gateway import CognitoGateway


class PoolHasNoDomain(PermanentError):
    """The pool has no Cognito or custom domain, so it has no login pages to send users to."""


@dataclass
class PoolFacts:
    user_pool_id: str
    region: str
    name: str
    domain: str  # "" when the pool has none
    custom_domain: bool
    managed_login_version: int
    feature_plan: str
    custom_attributes: list[str] = field(default_factory=list)
    client_count: int = 0
    identity_provider_count: int = 0
    style_count: int = 0
    # As DescribeUserPool reported them (None: not reported, as moto does for both).
    reported_feature_plan: str | None = None
    deletion_protection: str | None = None
    schema: list[dict] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)


def read_pool(
    gateway: CognitoGateway,
    user_pool_id: str,
    *,
    count_usage: bool = True,
    require_domain: bool = True,
    progress: Callable[[str], None] = lambda _msg: None,
) -> PoolFacts:
    """Describe the pool and its domain; optionally count its clients, providers and styles.

    Without a domain the pool has no login pages: PoolHasNoDomain, unless `require_domain` is
    off (`portal pools check` reports it as one finding among others).
    """
    try:
        pool = gateway.call("DescribeUserPool", user_pool_id)["UserPool"]
    except NotFoundError as error:
        raise NotFoundError(
            "DescribeUserPool",
            error.code,
            f"user pool {user_pool_id} does not exist in {gateway.region}",
        ) from None
    domain = pool.get("Domain")
    custom = False
    if not domain and pool.get("CustomDomain"):
        domain, custom = pool["CustomDomain"], True
    if not domain and require_domain:
        raise PoolHasNoDomain(
            "DescribeUserPool",
            "PoolHasNoDomain",
            f"user pool {user_pool_id} has no domain, so it has no sign-in pages. Add a Cognito "
            "domain (App integration > Domain in the console, or CreateUserPoolDomain) and "
            "register the pool again.",
        )
    version = 0
    if domain:
        description = gateway.call("DescribeUserPoolDomain", None, Domain=domain)[
            "DomainDescription"
        ]
        version = int(description.get("ManagedLoginVersion") or 1)
    facts = PoolFacts(
        user_pool_id=user_pool_id,
        region=gateway.region,
        name=pool.get("Name", user_pool_id),
        domain=domain or "",
        custom_domain=custom,
        managed_login_version=version,
        feature_plan=pool.get("UserPoolTier") or "ESSENTIALS",
        custom_attributes=sorted(
            a["Name"]
            for a in pool.get("SchemaAttributes", [])
            if a.get("Name", "").startswith("custom:")
        ),
        reported_feature_plan=pool.get("UserPoolTier"),
        deletion_protection=pool.get("DeletionProtection"),
        schema=list(pool.get("SchemaAttributes", [])),
    )
    if count_usage:
        progress("counting app clients")
        clients = [
            c["ClientId"]
            for c in gateway.paginate("ListUserPoolClients", "UserPoolClients", user_pool_id)
        ]
        facts.client_count = len(clients)
        facts.client_ids = clients
        progress("counting identity providers")
        facts.identity_provider_count = sum(
            1 for _ in gateway.paginate("ListIdentityProviders", "Providers", user_pool_id)
        )
        if version >= 2:
            facts.style_count = count_styles(gateway, user_pool_id, clients, progress)
    return facts


def count_styles(
    gateway: CognitoGateway,
    user_pool_id: str,
    client_ids: list[str],
    progress: Callable[[str], None],
) -> int:
    """No call lists a pool's styles: ask for each client's (one read per client)."""
    count = 0
    for position, client_id in enumerate(client_ids, start=1):
        if position % 20 == 0:
            progress(f"checking managed-login styles: {position}/{len(client_ids)} clients")
        try:
            gateway.call("DescribeManagedLoginBrandingByClient", user_pool_id, ClientId=client_id)
        except NotFoundError:
            continue
        count += 1
    return count


def read_client_secret(gateway: CognitoGateway, user_pool_id: str, client_id: str) -> str | None:
    """The app client's secret as Cognito holds it now; never stored by the portal."""
    client = gateway.call("DescribeUserPoolClient", user_pool_id, ClientId=client_id)
    return client["UserPoolClient"].get("ClientSecret")
