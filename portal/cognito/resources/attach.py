"""Step 4: attach the provider to the app client: callbacks, the provider, only `openid`.

A client step 3 created whole needs nothing here (no call: the create's response is compared);
this step changes a live tenant's client and finishes one created bare.
"""

from __future__ import annotations

from portal.cognito.errors import NotFoundError, PermanentError
from portal.cognito.resources.app_client import describe_client
from portal.cognito.resources.base import Change, StepContext, StepOutcome, diff_fields

RESOURCE = "app client"
UNORDERED = frozenset(
    {
        "ReadAttributes",
        "WriteAttributes",
        "ExplicitAuthFlows",
        "SupportedIdentityProviders",
        "CallbackURLs",
        "LogoutURLs",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
    }
)


class AttachStep:
    name = "attach"
    title = "Attach provider"

    def _live(self, ctx: StepContext, client_id: str | None) -> dict | None:
        if "client" in ctx.live:
            return ctx.live["client"]
        if client_id is None:
            return None
        live = describe_client(ctx, client_id)
        if live is not None:
            ctx.live["client"] = live
        return live

    def _changes(self, live: dict, ctx: StepContext) -> list[Change]:
        wanted = ctx.desired.client_config()
        return diff_fields(RESOURCE, live, wanted, UNORDERED)

    def plan(self, ctx: StepContext) -> StepOutcome:
        live = self._live(ctx, ctx.known.client_id)
        if live is None:
            wanted = ctx.desired.client_config()
            return StepOutcome("absent", diff_fields(RESOURCE, {}, wanted, UNORDERED))
        changes = self._changes(live, ctx) + self._retired(ctx)
        return StepOutcome("update" if changes else "unchanged", changes)

    @staticmethod
    def _retired(ctx: StepContext) -> list[Change]:
        old = ctx.desired.retired_provider_name
        return [Change("identity provider", "delete", None, old, None)] if old else []

    def _remove_retired(self, ctx: StepContext) -> StepOutcome | None:
        """After a switch between OIDC and SAML, delete the provider the client no longer lists.

        The client and its secret stay; users federated through the old provider keep their
        `<old name>_<id>` profiles, and the old name is never given to anyone again.
        """
        changes = self._retired(ctx)
        if not changes:
            return None
        try:
            ctx.gateway.call(
                "DeleteIdentityProvider",
                ctx.pool_id,
                ProviderName=ctx.desired.retired_provider_name,
            )
        except NotFoundError:
            changes = []
        return StepOutcome("updated", changes, facts={"retired_provider_removed": True})

    def apply(self, ctx: StepContext) -> StepOutcome:
        client_id = ctx.live.get("client", {}).get("ClientId") or ctx.known.client_id
        live = self._live(ctx, client_id)
        if live is None:
            raise PermanentError(
                "DescribeUserPoolClient",
                "ClientMissing",
                "The tenant's app client is missing; run the onboarding again to recreate it.",
            )
        changes = self._changes(live, ctx)
        if not changes:
            # Attached by the create of this run's step 3: made now, by that call.
            made = "created" if ctx.live.get("attached_at_create") else "unchanged"
            return self._remove_retired(ctx) or StepOutcome(made)
        # UpdateUserPoolClient resets every field it is not sent: always send all of them.
        response = ctx.gateway.call(
            "UpdateUserPoolClient",
            ctx.pool_id,
            ClientId=live["ClientId"],
            **ctx.desired.client_config(),
        )
        ctx.live["client"] = response["UserPoolClient"]
        removed = self._remove_retired(ctx)
        if removed is not None:
            return StepOutcome("updated", changes + removed.changes, removed.facts)
        return StepOutcome("updated", changes)
