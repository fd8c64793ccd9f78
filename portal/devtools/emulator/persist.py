"""Save and restore the emulator's pools across restarts (for `portal dev`), as plain JSON.

Kept: pools (settings, schema), app clients with their secrets, identity providers, resource
servers, groups, domains, and the emulator's own extras. Not kept: users, tokens, call log.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moto.cognitoidp.models import (
    CognitoIdpGroup,
    CognitoIdpIdentityProvider,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    CognitoIdpUserPoolDomain,
    CognitoResourceServer,
    cognitoidp_backends,
)

from .seed import EmulatorPool
from .state import Branding, ClientSecret, PoolQuotas

if TYPE_CHECKING:
    from .app import EmulatorApp

FORMAT_VERSION = 1


def save_state(app: EmulatorApp, path: Path, seeded: list[EmulatorPool]) -> None:
    """Write everything worth keeping to `path` (atomically)."""
    with app.state.lock:
        data = {
            "version": FORMAT_VERSION,
            "seeded": [pool.to_dict() for pool in seeded],
            "backends": [
                _backend(account, region, backend)
                for account, regions in cognitoidp_backends.items()
                for region, backend in regions.items()
                if backend.user_pools or backend.user_pool_domains
            ],
            "extras": _extras(app),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "w") as out:
        json.dump(data, out, default=_default, indent=1)
    os.replace(temporary, path)


def load_state(app: EmulatorApp, path: Path) -> list[EmulatorPool]:
    """Reset the emulator to what `path` holds; return the pools that had been seeded."""
    data = json.loads(path.read_text())
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unsupported emulator state version {data.get('version')!r}")
    app.reset()
    with app.state.lock:
        for saved in data["backends"]:
            _restore_backend(saved)
        _restore_extras(app, data["extras"])
        backends = cognitoidp_backends
        return [
            EmulatorPool(**pool)
            for pool in data["seeded"]
            if pool["user_pool_id"] in backends[app.account_id][pool["region"]].user_pools
        ]


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot save {type(value).__name__}")


def _backend(account: str, region: str, backend: Any) -> dict[str, Any]:
    return {
        "account": account,
        "region": region,
        "pools": [_pool(pool) for pool in backend.user_pools.values()],
        "domains": [
            {"domain": d.domain, "pool": d.user_pool_id, "custom": d.custom_domain_config}
            for d in backend.user_pool_domains.values()
        ],
    }


def _pool(pool: CognitoIdpUserPool) -> dict[str, Any]:
    return {
        "id": pool.id,
        "arn": pool.arn,
        "name": pool.name,
        "config": pool.extended_config,
        "mfa": pool.mfa_config,
        "created": pool.creation_date,
        "modified": pool.last_modified_date,
        "schema": [a.to_json() for a in pool.schema_attributes.values()],
        "clients": [
            {
                "id": c.id,
                "secret": c.secret,
                "generate": c.generate_secret,
                "config": c.extended_config,
            }
            for c in pool.clients.values()
        ],
        "providers": [
            {
                "name": p.name,
                "config": p.extended_config,
                "created": p.creation_date,
                "modified": p.last_modified_date,
            }
            for p in pool.identity_providers.values()
        ],
        "resource_servers": [
            {"identifier": s.identifier, "name": s.name, "scopes": s.scopes}
            for s in pool.resource_servers.values()
        ],
        "groups": [
            {
                "name": g.group_name,
                "description": g.description,
                "role_arn": g.role_arn,
                "precedence": g.precedence,
            }
            for g in pool.groups.values()
        ],
    }


def _schema_input(attribute: dict[str, Any]) -> dict[str, Any]:
    """Turn a saved attribute back into the CreateUserPool Schema entry moto expects."""
    entry = {k: v for k, v in attribute.items() if v is not None}
    name = entry["Name"]
    if name.startswith("dev:custom:"):
        entry["Name"], entry["DeveloperOnlyAttribute"] = name.removeprefix("dev:custom:"), True
    elif name.startswith("custom:"):
        entry["Name"] = name.removeprefix("custom:")
    return entry


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _restore_backend(saved: dict[str, Any]) -> None:
    account, region = saved["account"], saved["region"]
    backend = cognitoidp_backends[account][region]
    for data in saved["pools"]:
        config = {**data["config"], "Schema": [_schema_input(a) for a in data["schema"]]}
        pool = CognitoIdpUserPool(account, region, data["name"], config)
        pool.id, pool.arn, pool.mfa_config = data["id"], data["arn"], data["mfa"]
        pool.creation_date, pool.last_modified_date = (
            _when(data["created"]),
            _when(data["modified"]),
        )
        backend.user_pools[pool.id] = pool
        for item in data["clients"]:
            client = CognitoIdpUserPoolClient(pool.id, item["generate"], item["config"])
            client.id, client.secret = item["id"], item["secret"]
            pool.clients[client.id] = client
        for item in data["providers"]:
            provider = CognitoIdpIdentityProvider(item["name"], item["config"])
            provider.creation_date = _when(item["created"])
            provider.last_modified_date = _when(item["modified"])
            pool.identity_providers[provider.name] = provider
        for item in data["resource_servers"]:
            pool.resource_servers[item["identifier"]] = CognitoResourceServer(
                pool.id, item["identifier"], item["name"], item["scopes"]
            )
        for item in data["groups"]:
            pool.groups[item["name"]] = CognitoIdpGroup(
                pool.id, item["name"], item["description"], item["role_arn"], item["precedence"]
            )
    for item in saved["domains"]:
        backend.user_pool_domains[item["domain"]] = CognitoIdpUserPoolDomain(
            item["pool"], item["domain"], item["custom"]
        )


def _extras(app: EmulatorApp) -> dict[str, Any]:
    state = app.state
    return {
        "tiers": state.tiers,
        "domain_versions": [[r, d, v] for (r, d), v in state.domain_versions.items()],
        "brandings": [asdict(b) for styles in state.brandings.values() for b in styles.values()],
        "secrets": [
            {"pool": p, "client": c, "secrets": [asdict(s) for s in stored]}
            for (p, c), stored in state.secrets.items()
        ],
        "client_dates": [[p, c, dates] for (p, c), dates in state.client_dates.items()],
        "quotas": {pool: asdict(q) for pool, q in state.quotas.items()},
    }


def _restore_extras(app: EmulatorApp, extras: dict[str, Any]) -> None:
    state = app.state
    state.tiers.update(extras["tiers"])
    state.domain_versions.update({(r, d): v for r, d, v in extras["domain_versions"]})
    for item in extras["brandings"]:
        style = Branding(**item)
        state.styles(style.user_pool_id)[style.branding_id] = style
    for item in extras["secrets"]:
        state.secrets[(item["pool"], item["client"])] = [ClientSecret(**s) for s in item["secrets"]]
    state.client_dates.update({(p, c): dates for p, c, dates in extras["client_dates"]})
    state.quotas.update({pool: PoolQuotas(**q) for pool, q in extras["quotas"].items()})
