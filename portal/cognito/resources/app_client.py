"""Step 3: the tenant's confidential app client (authorization code flow, with a secret).

It runs after the custom attributes and the provider exist, so it creates the client whole: the
provider attached, the callback URLs and only `openid` (one UserPoolClientUpdate call per tenant;
step 4 then finds nothing to change). A run queued in the older order, with this step first,
creates the client bare as before and step 4 attaches the provider.
"""

from __future__ import annotations

from typing import Any

from portal.cognito.errors import AmbiguousOutcomeError, NotFoundError
from portal.cognito.resources.base import Change, StepContext, StepOutcome

RESOURCE = "app client"
MAX_CREATE_TRIES = 3
# What step 4 would otherwise set: the provider, where it returns to, and what it may ask for.
ATTACHING_FIELDS = (
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
)


def find_clients_by_name(ctx: StepContext, name: str) -> list[str]:
    """Client ids in the pool named NAME (after a crash between create and record)."""
    return [
        c["ClientId"]
        for c in ctx.gateway.paginate("ListUserPoolClients", "UserPoolClients", ctx.pool_id)
        if c.get("ClientName") == name
    ]


def describe_client(ctx: StepContext, client_id: str) -> dict[str, Any] | None:
    try:
        response = ctx.gateway.call("DescribeUserPoolClient", ctx.pool_id, ClientId=client_id)
    except NotFoundError:
        return None
    return response["UserPoolClient"]


def creation_config(ctx: StepContext) -> dict[str, Any]:
    """The whole client when what it names exists; the bare client otherwise.

    Cognito refuses a client that lists a provider or a custom attribute the pool lacks (the
    developer guide, "Configuring identity providers for your user pool"; the emulator enforces
    both). The provider counts only when this run's provider step has passed (`provider_ready`),
    never from an older record that a deletion outside the portal may have made stale. An adopted
    client is created bare under the tenant's own name: step 4 gives it its adopted settings.
    """
    desired = ctx.desired
    complete = (
        desired.adopted is None
        and ctx.live.get("provider_ready", False)
        and set(desired.custom_attributes) <= ctx.known.pool_attributes
    )
    return desired.client_config() if complete else desired.base_client_config()


class AppClientStep:
    name = "app_client"
    title = "App client"

    def _locate(self, ctx: StepContext) -> str | None:
        """The id of the tenant's client if it exists, reading as little as possible."""
        if "client" in ctx.live:
            return ctx.live["client"]["ClientId"]
        if ctx.known.client_id:
            live = describe_client(ctx, ctx.known.client_id)
            if live is not None:
                ctx.live["client"] = live
                return live["ClientId"]
            return None
        if ctx.known.client_create_started:
            found = find_clients_by_name(ctx, ctx.desired.client_name)
            if found:
                return self._keep_one(ctx, found)
        return None

    def _keep_one(self, ctx: StepContext, found: list[str]) -> str:
        # No id was ever recorded, so no duplicate can have been handed to anyone: remove them.
        for extra in found[1:]:
            ctx.gateway.call("DeleteUserPoolClient", ctx.pool_id, ClientId=extra)
        return found[0]

    def plan(self, ctx: StepContext) -> StepOutcome:
        client_id = self._locate(ctx)
        if client_id is None:
            return StepOutcome(
                "absent", [Change(RESOURCE, "create", None, None, ctx.desired.client_name)]
            )
        return StepOutcome("unchanged", facts={"client_id": client_id})

    def apply(self, ctx: StepContext) -> StepOutcome:
        client_id = self._locate(ctx)
        if client_id is not None:
            return StepOutcome("unchanged", facts={"client_id": client_id})
        ctx.on_intent("client_create_started")
        for attempt in range(1, MAX_CREATE_TRIES + 1):
            try:
                config = creation_config(ctx)
                response = ctx.gateway.call(
                    "CreateUserPoolClient", ctx.pool_id, GenerateSecret=True, **config
                )
            except AmbiguousOutcomeError:
                found = find_clients_by_name(ctx, ctx.desired.client_name)
                if found:
                    client_id = self._keep_one(ctx, found)
                    return StepOutcome(
                        "created", [Change(RESOURCE, "create")], facts={"client_id": client_id}
                    )
                if attempt == MAX_CREATE_TRIES:
                    raise
                continue
            ctx.live["client"] = response["UserPoolClient"]
            ctx.live["attached_at_create"] = "SupportedIdentityProviders" in config
            client_id = response["UserPoolClient"]["ClientId"]
            # Created whole, the client's audit event also says what attached it to the provider.
            attached = [
                Change(RESOURCE, "create", name, None, config[name])
                for name in ATTACHING_FIELDS
                if ctx.live["attached_at_create"] and name in config
            ]
            return StepOutcome(
                "created",
                [Change(RESOURCE, "create", None, None, ctx.desired.client_name), *attached],
                facts={"client_id": client_id},
            )
        raise AssertionError("unreachable")
