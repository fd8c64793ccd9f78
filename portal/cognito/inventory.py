"""Everything a user pool holds, read (and only read) for the scan before an adoption."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.cognito.errors import NotFoundError
from portal.cognito.gateway import CognitoGateway


@dataclass
class PoolInventory:
    """The pool's app clients, identity providers and styles, as Cognito describes them."""

    user_pool_id: str
    clients: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    styles: dict[str, str] = field(default_factory=dict)  # client id -> style id
    with_secret: set[str] = field(default_factory=set)  # ids of clients that have a secret


def read_inventory(
    gateway: CognitoGateway,
    user_pool_id: str,
    *,
    read_styles: bool,
    skip_clients: frozenset[str] = frozenset(),
    skip_providers: frozenset[str] = frozenset(),
    progress: Callable[[str], None] = lambda _m: None,
) -> PoolInventory:
    """Describe every client and provider no tenant owns (owned ones are only listed).

    No call lists a pool's styles, so each described client costs one more read on a pool whose
    domain uses managed login.
    """
    inventory = PoolInventory(user_pool_id)
    listed = list(gateway.paginate("ListUserPoolClients", "UserPoolClients", user_pool_id))
    for position, entry in enumerate(listed, start=1):
        if entry["ClientId"] in skip_clients:
            continue
        if position % 20 == 0:
            progress(f"reading app clients: {position}/{len(listed)}")
        try:
            client = gateway.call(
                "DescribeUserPoolClient", user_pool_id, ClientId=entry["ClientId"]
            )["UserPoolClient"]
        except NotFoundError:
            continue  # deleted while we read
        # Secrets are dropped the moment they are read: a scan only says whether one exists.
        if client.pop("ClientSecret", None):
            inventory.with_secret.add(client["ClientId"])
        inventory.clients.append(client)
        if read_styles:
            try:
                style = gateway.call(
                    "DescribeManagedLoginBrandingByClient",
                    user_pool_id,
                    ClientId=client["ClientId"],
                )["ManagedLoginBranding"]
            except NotFoundError:
                continue
            inventory.styles[client["ClientId"]] = style["ManagedLoginBrandingId"]
    for entry in gateway.paginate("ListIdentityProviders", "Providers", user_pool_id):
        name = entry["ProviderName"]
        if name in skip_providers:
            continue
        try:
            provider = gateway.call("DescribeIdentityProvider", user_pool_id, ProviderName=name)[
                "IdentityProvider"
            ]
        except NotFoundError:
            continue
        (provider.get("ProviderDetails") or {}).pop("client_secret", None)
        inventory.providers[name] = provider
    return inventory
