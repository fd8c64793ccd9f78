"""API: adopt the tenants a vendor onboarded by hand (portal.services.adoption)."""

from __future__ import annotations

from portal.services.adoption.adopt import adopt
from portal.services.pools.registry import find_pool
from portal.web.api import schemas
from portal.web.api.problems import ApiProblem
from portal.web.api.registry import ADMIN, operation

TAG = "User pools"


@operation(
    "POST",
    "/pools/<user_pool_id>/adoptions",
    summary="Adopt the tenants onboarded by hand in a pool",
    tag=TAG,
    allow=frozenset({ADMIN}),
    body=schemas.AdoptionRequest,
    response=schemas.AdoptionView,
    errors=(404, 502),
)
def create_adoption(user_pool_id: str, body: schemas.AdoptionRequest) -> schemas.AdoptionView:
    """Make a ready tenant of each adoptable app client, recorded as Cognito holds it.

    Only reads reach Cognito; each tenant's IdP secret stays there. Clients that cannot be one
    tenant each (no external provider, several, a shared provider, a public client) are refused
    with the reasons. Adopting again adopts nothing new. `dry_run` previews without recording.
    """
    pool = find_pool(user_pool_id)
    if pool is None:
        raise ApiProblem(404, f"user pool {user_pool_id} is not registered")
    result = adopt(pool, body.client_ids or None, slug_from=body.slug_from, dry_run=body.dry_run)
    return schemas.AdoptionView.model_validate(result.to_dict())
