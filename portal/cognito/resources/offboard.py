"""Offboarding: remove the style, then the client, then the provider (desired = absent).

The order never leaves a client pointing at a missing provider. Custom attributes stay: Cognito
cannot delete them, and other tenants use them. Every step treats "not found" as done.
"""

from __future__ import annotations

from portal.cognito.errors import NotFoundError, PermanentError
from portal.cognito.resources.app_client import find_clients_by_name
from portal.cognito.resources.base import Change, StepContext, StepOutcome
from portal.cognito.resources.managed_login import describe_style
from portal.cognito.resources.provider import describe_provider

USER_PAGE = 60
# DescribeManagedLoginBrandingByClient lists OperationNotEnabledException among its errors
# (botocore model cognito-idp/2016-04-18/service-2.json): where managed login is not enabled
# there is no style to remove.
STYLES_NOT_ENABLED = "OperationNotEnabledException"


class RemoveStyleStep:
    name = "remove_style"
    title = "Remove managed login style"

    def _style_id(self, ctx: StepContext) -> str | None:
        if ctx.known.client_id is None:
            return None
        if not ctx.known.branding_id and not ctx.desired.needs_style:
            return None  # no style was ever made here, and the pool's login pages need none
        try:
            style = describe_style(ctx, ctx.known.client_id)
        except PermanentError as error:
            if error.code == STYLES_NOT_ENABLED:
                return None
            raise
        return style["ManagedLoginBrandingId"] if style else None

    def plan(self, ctx: StepContext) -> StepOutcome:
        style_id = self._style_id(ctx)
        if style_id is None:
            return StepOutcome("absent")
        return StepOutcome("delete", [Change("managed login style", "delete", None, style_id)])

    def apply(self, ctx: StepContext) -> StepOutcome:
        style_id = ctx.known.branding_id or self._style_id(ctx)
        if style_id is None:
            return StepOutcome("absent", facts={"branding_id": None})
        try:
            ctx.gateway.call(
                "DeleteManagedLoginBranding", ctx.pool_id, ManagedLoginBrandingId=style_id
            )
        except NotFoundError:
            return StepOutcome("absent", facts={"branding_id": None})
        except PermanentError as error:
            if error.code != STYLES_NOT_ENABLED:
                raise
            return StepOutcome("absent", facts={"branding_id": None})
        return StepOutcome(
            "deleted",
            [Change("managed login style", "delete", None, style_id)],
            facts={"branding_id": None},
        )


class RemoveClientStep:
    name = "remove_client"
    title = "Remove app client"

    def _client_ids(self, ctx: StepContext) -> list[str]:
        if ctx.known.client_id:
            return [ctx.known.client_id]
        if ctx.known.client_create_started:  # a create whose answer was never recorded
            return find_clients_by_name(ctx, ctx.desired.client_name)
        return []

    def plan(self, ctx: StepContext) -> StepOutcome:
        ids = self._client_ids(ctx)
        return StepOutcome(
            "delete" if ids else "absent", [Change("app client", "delete", None, i) for i in ids]
        )

    def apply(self, ctx: StepContext) -> StepOutcome:
        deleted = []
        for client_id in self._client_ids(ctx):
            try:
                ctx.gateway.call("DeleteUserPoolClient", ctx.pool_id, ClientId=client_id)
                deleted.append(client_id)
            except NotFoundError:
                continue
        return StepOutcome(
            "deleted" if deleted else "absent",
            [Change("app client", "delete", None, i) for i in deleted],
            facts={"client_id": None},
        )


class RemoveProviderStep:
    name = "remove_provider"
    title = "Remove identity provider"

    def plan(self, ctx: StepContext) -> StepOutcome:
        if describe_provider(ctx) is None:
            return StepOutcome("absent")
        return StepOutcome(
            "delete", [Change("identity provider", "delete", None, ctx.desired.provider_name)]
        )

    def apply(self, ctx: StepContext) -> StepOutcome:
        changes = []
        # A switch between OIDC and SAML not yet applied leaves the old provider: remove it too.
        for name in filter(None, (ctx.desired.retired_provider_name, ctx.desired.provider_name)):
            try:
                ctx.gateway.call("DeleteIdentityProvider", ctx.pool_id, ProviderName=name)
            except NotFoundError:
                continue
            changes.append(Change("identity provider", "delete", None, name))
        facts = {"provider_deleted": True, "retired_provider_removed": True}
        return StepOutcome("deleted" if changes else "absent", changes, facts=facts)


def federated_usernames(ctx: StepContext, provider_name: str) -> list[str]:
    """Users Cognito created for the provider: usernames `<provider>_<sub>`."""
    names: list[str] = []
    token: str | None = None
    while True:
        params = {"Filter": f'username ^= "{provider_name}_"', "Limit": USER_PAGE}
        if token:
            params["PaginationToken"] = token
        page = ctx.gateway.call("ListUsers", ctx.pool_id, **params)
        names += [
            u["Username"]
            for u in page.get("Users", [])
            if u["Username"].startswith(f"{provider_name}_")
        ]
        token = page.get("PaginationToken")
        if not token:
            return names


class RemoveUsersStep:
    name = "remove_users"
    title = "Remove federated users"

    def plan(self, ctx: StepContext) -> StepOutcome:
        if not ctx.known.remove_users:
            return StepOutcome("skipped")
        users = federated_usernames(ctx, ctx.desired.provider_name)
        return StepOutcome(
            "delete" if users else "absent", [Change("user", "delete", None, u) for u in users]
        )

    def apply(self, ctx: StepContext) -> StepOutcome:
        if not ctx.known.remove_users:
            return StepOutcome("skipped")
        removed = 0
        for username in federated_usernames(ctx, ctx.desired.provider_name):
            try:
                ctx.gateway.call("AdminDeleteUser", ctx.pool_id, Username=username)
                removed += 1
            except NotFoundError:
                continue
        return StepOutcome(
            "deleted" if removed else "absent",
            [Change("federated users", "delete", None, removed)] if removed else [],
        )
