"""A ready start: user pools with a domain, as the portal expects to find them."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import EmulatorApp


@dataclass(frozen=True)
class EmulatorPool:
    """A seeded user pool and its Cognito domain prefix."""

    user_pool_id: str
    region: str
    domain: str
    managed_login_version: int
    tier: str

    @property
    def domain_url(self) -> str:
        """The hosted-UI base URL AWS would serve this pool's domain at."""
        return f"https://{self.domain}.auth.{self.region}.amazoncognito.com"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def seed_pools(app: EmulatorApp, pools: int = 1, classic_pools: int = 0) -> list[EmulatorPool]:
    """Create `pools` managed-login pools (v2 domain) and `classic_pools` hosted-UI pools (v1).

    Every pool is on ESSENTIALS and has only the standard attributes: `custom:groups` is
    deliberately absent, so onboarding code has to add it.
    """
    if pools < 0 or classic_pools < 0:
        raise ValueError("pool counts must not be negative")
    made = []
    for version, count in ((2, pools), (1, classic_pools)):
        for _ in range(count):
            made.append(_seed_one(app, version))
    return made


def _seed_one(app: EmulatorApp, version: int) -> EmulatorPool:
    listing = app.invoke("ListUserPools", {"MaxResults": 60})
    taken = {p["Name"] for p in listing.get("UserPools", [])}
    kind = "demo-pool" if version == 2 else "demo-classic-pool"
    number = 1
    while f"{kind}-{number}" in taken:
        number += 1
    pool = app.invoke(
        "CreateUserPool", {"PoolName": f"{kind}-{number}", "UserPoolTier": "ESSENTIALS"}
    )["UserPool"]
    prefix = "portal-demo" if version == 2 else "portal-classic"
    domain = f"{prefix}-{secrets.token_hex(4)}"
    app.invoke(
        "CreateUserPoolDomain",
        {"UserPoolId": pool["Id"], "Domain": domain, "ManagedLoginVersion": version},
    )
    return EmulatorPool(pool["Id"], app.region, domain, version, "ESSENTIALS")
