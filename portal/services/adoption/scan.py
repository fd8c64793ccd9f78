"""`pools scan`: what a registered pool holds that no tenant owns, and what could be adopted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from portal.cognito.adopted import AdoptedConfig, deviations, external_providers
from portal.cognito.inventory import read_inventory
from portal.extensions import db
from portal.models import MoveState, Tenant, TenantMove, TenantStatus, UserPool
from portal.services.adoption.support import why_not_adoptable
from portal.services.engine.gateways import gateway_for
from portal.services.engine.ledger import TenantCallRecorder
from portal.services.pools.registry import find_pool
from portal.validation import ValidationError


@dataclass
class ScannedClient:
    """One app client no tenant owns: what it is, and whether it can become one tenant."""

    client_id: str
    client_name: str
    providers: list[dict[str, str]]
    callback_urls: list[str]
    logout_urls: list[str]
    scopes: list[str]
    flows: list[str]
    has_secret: bool
    style_id: str | None
    style_needed: bool
    idp_identifiers: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    deviations: list[str] = field(default_factory=list)
    # For adoption (never shown): the live configuration and the provider, without secrets.
    config: AdoptedConfig | None = field(default=None, repr=False)
    provider: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def adoptable(self) -> bool:
        return not self.refusals

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "providers": self.providers,
            "callback_urls": self.callback_urls,
            "logout_urls": self.logout_urls,
            "scopes": self.scopes,
            "oauth_flows": self.flows,
            "client_secret": self.has_secret,
            "style": self.style_id if self.style_needed else "not needed (classic hosted UI)",
            # Kept as found; the portal has not verified that the tenant owns these domains.
            "domains": [{"domain": d, "state": "unverified"} for d in self.idp_identifiers],
            "adoptable": self.adoptable,
            "refusals": self.refusals,
            "deviations": self.deviations,
        }


@dataclass
class ScannedProvider:
    name: str
    type: str
    clients: list[str]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "clients": self.clients, "note": self.note}


@dataclass
class ScanReport:
    pool: UserPool
    clients: list[ScannedClient]
    providers: list[ScannedProvider]
    owned_clients: int
    owned_providers: int

    @property
    def adoptable(self) -> list[ScannedClient]:
        return [c for c in self.clients if c.adoptable]

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_pool_id": self.pool.user_pool_id,
            "owned_by_tenants": {
                "app_clients": self.owned_clients,
                "identity_providers": self.owned_providers,
            },
            "clients": [c.to_dict() for c in self.clients],
            "providers": [p.to_dict() for p in self.providers],
            "adoptable": len(self.adoptable),
        }


def registered_pool(user_pool_id: str) -> UserPool:
    pool = find_pool((user_pool_id or "").strip())
    if pool is None:
        raise ValidationError(
            "pool",
            f"user pool {user_pool_id} is not registered; register it first with "
            f"`portal pools add {user_pool_id}` (it only reads the pool)",
        )
    return pool


def owned_resources(pool: UserPool) -> tuple[set[str], set[str]]:
    """Client ids and provider names in POOL that tenants own (moves' old ones included)."""
    tenants = db.session.execute(
        select(Tenant.client_id, Tenant.provider_name).where(
            Tenant.pool_id == pool.id, Tenant.status != TenantStatus.OFFBOARDED
        )
    ).all()
    clients = {c for c, _ in tenants if c}
    providers = {p for _, p in tenants}
    moves = db.session.execute(
        select(TenantMove.old_client_id, TenantMove.old_provider_name).where(
            TenantMove.from_pool_id == pool.id, TenantMove.state != MoveState.DONE
        )
    ).all()
    clients |= {c for c, _ in moves if c}
    providers |= {p for _, p in moves if p}
    return clients, providers


def reserved_provider_names(names: set[str]) -> dict[str, str]:
    """Of NAMES, those any tenant ever had (names are never reused), with that tenant's slug."""
    if not names:
        return {}
    rows = db.session.execute(
        select(Tenant.provider_name, Tenant.slug).where(Tenant.provider_name.in_(names))
    )
    return dict(rows.all())


def scan_pool(pool: UserPool, progress: Callable[[str], None] = lambda _m: None) -> ScanReport:
    """Read the pool (reads only) and sort what no tenant owns into adoptable and not."""
    owned_clients, owned_providers = owned_resources(pool)
    gateway = gateway_for(pool.region, TenantCallRecorder(None))
    inventory = read_inventory(
        gateway,
        pool.user_pool_id,
        read_styles=pool.needs_styles,
        skip_clients=frozenset(owned_clients),
        skip_providers=frozenset(owned_providers),
        progress=progress,
    )
    attached: dict[str, list[dict[str, Any]]] = {}
    for client in inventory.clients:
        for name in external_providers(client):
            attached.setdefault(name, []).append(client)
    reserved = reserved_provider_names(set(inventory.providers))
    clients = sorted(
        (
            _scan_client(pool, client, inventory, attached, owned_providers, reserved)
            for client in inventory.clients
        ),
        key=lambda c: (not c.adoptable, c.client_name, c.client_id),  # adoptable ones first
    )
    providers = []
    for name, provider in sorted(inventory.providers.items()):
        users = attached.get(name, [])
        note = None
        if not users:
            note = "attached to no app client: nothing signs in through it"
        elif len(users) > 1:
            note = f"shared by {len(users)} app clients: cannot become one tenant"
        elif reason := why_not_adoptable(provider.get("ProviderType", "")):
            note = reason
        kind = provider.get("ProviderType", "")
        providers.append(ScannedProvider(name, kind, [c["ClientId"] for c in users], note))
    return ScanReport(pool, clients, providers, len(owned_clients), len(owned_providers))


def _label(client: dict[str, Any]) -> str:
    return f"{client.get('ClientName', '')} ({client['ClientId']})"


def _scan_client(
    pool: UserPool,
    client: dict[str, Any],
    inventory,
    attached: dict[str, list[dict[str, Any]]],
    owned_providers: set[str],
    reserved: dict[str, str],
) -> ScannedClient:
    client_id = client["ClientId"]
    names = external_providers(client)
    providers = [
        {
            "name": n,
            "type": inventory.providers[n].get("ProviderType", "")
            if n in inventory.providers
            else "",
        }
        for n in names
    ]
    style_id = inventory.styles.get(client_id)
    scanned = ScannedClient(
        client_id=client_id,
        client_name=client.get("ClientName", ""),
        providers=providers,
        callback_urls=list(client.get("CallbackURLs") or []),
        logout_urls=list(client.get("LogoutURLs") or []),
        scopes=list(client.get("AllowedOAuthScopes") or []),
        flows=list(client.get("AllowedOAuthFlows") or []),
        has_secret=client_id in inventory.with_secret,
        style_id=style_id,
        style_needed=pool.needs_styles,
    )
    refusals = scanned.refusals
    if not names:
        refusals.append(
            "no external identity provider: only the pool's own users sign in to it "
            "(the vendor's own application or an administration client, not a tenant)"
        )
    elif len(names) > 1:
        refusals.append(
            f"{len(names)} external providers ({', '.join(names)}): a tenant signs in through "
            "exactly one; detach the others first"
        )
    else:
        name = names[0]
        provider = inventory.providers.get(name)
        if name in owned_providers:
            refusals.append(f"its provider {name} belongs to a tenant of the portal already")
        elif provider is None:
            refusals.append(f"its provider {name} does not exist in the pool")
        else:
            if reason := why_not_adoptable(provider.get("ProviderType", "")):
                refusals.append(f"provider {name}: {reason}")
            others = [c for c in attached.get(name, []) if c["ClientId"] != client_id]
            if others:
                refusals.append(
                    f"provider {name} is also attached to {', '.join(_label(c) for c in others)}: "
                    "one provider cannot become two tenants; give each client its own provider"
                )
            if name in reserved:
                refusals.append(
                    f"the provider name {name} was the portal tenant {reserved[name]}'s: "
                    "federated users keep <provider>_<sub> forever, so names are never reused"
                )
            scanned.idp_identifiers = list(provider.get("IdpIdentifiers") or [])
            mapping = provider.get("AttributeMapping") or {}
            scanned.deviations = deviations(
                client,
                mapping,
                style_id is not None,
                pool.needs_styles,
                provider.get("ProviderType", "OIDC"),
            )
            scanned.provider = provider
            scanned.config = AdoptedConfig.from_live(client, provider, style_id is not None)
    if not scanned.has_secret:
        refusals.append(
            "no client secret (a public client): the portal's tenants are confidential clients "
            "whose application holds a secret; onboard this customer as a new tenant instead"
        )
    return scanned
