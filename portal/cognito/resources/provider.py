"""Step 3: the tenant's external OIDC identity provider."""

from __future__ import annotations

from typing import Any

from portal.cognito.errors import AlreadyExistsError, NotFoundError, PermanentError
from portal.cognito.resources.base import REDACTED, Change, StepContext, StepOutcome

RESOURCE = "identity provider"


def describe_provider(ctx: StepContext) -> dict[str, Any] | None:
    try:
        response = ctx.gateway.call(
            "DescribeIdentityProvider", ctx.pool_id, ProviderName=ctx.desired.provider_name
        )
    except NotFoundError:
        return None
    return response["IdentityProvider"]


def provider_changes(ctx: StepContext, live: dict[str, Any]) -> list[Change]:
    desired = ctx.desired
    details = live.get("ProviderDetails", {})
    changes = []
    for key, after in desired.provider_details().items():
        if details.get(key) != after:
            changes.append(
                Change(RESOURCE, "update", f"ProviderDetails.{key}", details.get(key), after)
            )
    if (
        desired.idp_client_secret is not None
        and details.get("client_secret") != desired.idp_client_secret
    ):
        changes.append(
            Change(RESOURCE, "update", "ProviderDetails.client_secret", REDACTED, REDACTED)
        )
    mapping = live.get("AttributeMapping", {})
    if mapping != desired.attribute_mapping():
        changes.append(
            Change(RESOURCE, "update", "AttributeMapping", mapping, desired.attribute_mapping())
        )
    identifiers = sorted(live.get("IdpIdentifiers") or [])
    if identifiers != sorted(desired.idp_identifiers):
        changes.append(
            Change(
                RESOURCE, "update", "IdpIdentifiers", identifiers, sorted(desired.idp_identifiers)
            )
        )
    return changes


class ProviderStep:
    name = "provider"
    title = "External provider"

    def plan(self, ctx: StepContext) -> StepOutcome:
        live = describe_provider(ctx)
        if live is None:
            return StepOutcome(
                "absent", [Change(RESOURCE, "create", None, None, ctx.desired.provider_name)]
            )
        ctx.live["provider"] = live
        changes = provider_changes(ctx, live)
        return StepOutcome("update" if changes else "unchanged", changes)

    def apply(self, ctx: StepContext) -> StepOutcome:
        if not ctx.known.provider_created:
            try:
                return self._create(ctx)
            except AlreadyExistsError:
                pass  # made by an earlier attempt that died before recording it
        live = describe_provider(ctx)
        if live is None:
            return self._create(ctx)
        changes = provider_changes(ctx, live)
        if not changes:
            return StepOutcome("unchanged", facts={"provider_secret_applied": True})
        secret = ctx.desired.idp_client_secret or live.get("ProviderDetails", {}).get(
            "client_secret"
        )
        ctx.gateway.call(
            "UpdateIdentityProvider",
            ctx.pool_id,
            ProviderName=ctx.desired.provider_name,
            ProviderDetails=self._details(ctx, secret),
            AttributeMapping=ctx.desired.attribute_mapping(),
            IdpIdentifiers=list(ctx.desired.idp_identifiers),
        )
        return StepOutcome("updated", changes, facts={"provider_secret_applied": True})

    def _create(self, ctx: StepContext) -> StepOutcome:
        secret = ctx.desired.idp_client_secret
        if not secret:
            raise PermanentError(
                "CreateIdentityProvider",
                "SecretNeeded",
                "The identity provider does not exist in Cognito and the portal no longer holds "
                "the customer's client secret (it is deleted once Cognito has it). Ask the "
                "customer to enter it again through a new setup link, then retry.",
            )
        params: dict[str, Any] = {
            "ProviderName": ctx.desired.provider_name,
            "ProviderType": "OIDC",
            "ProviderDetails": self._details(ctx, secret),
            "AttributeMapping": ctx.desired.attribute_mapping(),
        }
        if ctx.desired.idp_identifiers:
            params["IdpIdentifiers"] = list(ctx.desired.idp_identifiers)
        ctx.gateway.call("CreateIdentityProvider", ctx.pool_id, **params)
        return StepOutcome(
            "created",
            [Change(RESOURCE, "create", None, None, ctx.desired.provider_name)],
            facts={"provider_secret_applied": True},
        )

    @staticmethod
    def _details(ctx: StepContext, secret: str | None) -> dict[str, str]:
        details = ctx.desired.provider_details()
        if secret:
            details["client_secret"] = secret
        return details
