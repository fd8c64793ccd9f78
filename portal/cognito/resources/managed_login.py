"""Step 5: the managed-login style that gives the client its login pages (version-2 domains).

Classic hosted UI (version-1) domains get no style: the developer guide says Lite pools, which
cannot hold a style, have the classic hosted UI as their only option, and that classic domains
render their pages automatically; the API reference's sentence that classic pages need a style
too is read as written for managed login. docs/aws-evidence.md has the evidence, and
`portal selftest aws` fetches a classic client's login page to prove it on a real account.
"""

from __future__ import annotations

from typing import Any

from portal.cognito.errors import AlreadyExistsError, NotFoundError
from portal.cognito.resources.base import Change, StepContext, StepOutcome

RESOURCE = "managed login style"


def describe_style(ctx: StepContext, client_id: str) -> dict[str, Any] | None:
    try:
        response = ctx.gateway.call(
            "DescribeManagedLoginBrandingByClient", ctx.pool_id, ClientId=client_id
        )
    except NotFoundError:
        return None
    return response.get("ManagedLoginBranding")


def _client_id(ctx: StepContext) -> str | None:
    return ctx.live.get("client", {}).get("ClientId") or ctx.known.client_id


class ManagedLoginStep:
    name = "managed_login"
    title = "Managed login"

    def plan(self, ctx: StepContext) -> StepOutcome:
        if not ctx.desired.needs_style:
            return StepOutcome("skipped")
        client_id = _client_id(ctx)
        style = describe_style(ctx, client_id) if client_id else None
        if style is None:
            return StepOutcome(
                "absent", [Change(RESOURCE, "create", None, None, "Cognito defaults")]
            )
        return StepOutcome("unchanged", facts={"branding_id": style["ManagedLoginBrandingId"]})

    def apply(self, ctx: StepContext) -> StepOutcome:
        if not ctx.desired.needs_style:
            return StepOutcome("skipped")  # the classic hosted UI needs no style (see above)
        client_id = _client_id(ctx)
        assert client_id, "the app client step runs first"
        if ctx.known.branding_id:
            style = describe_style(ctx, client_id)
            if style is not None:
                return StepOutcome(
                    "unchanged", facts={"branding_id": style["ManagedLoginBrandingId"]}
                )
        try:
            response = ctx.gateway.call(
                "CreateManagedLoginBranding",
                ctx.pool_id,
                ClientId=client_id,
                UseCognitoProvidedValues=True,
            )
        except AlreadyExistsError:
            style = describe_style(ctx, client_id)
            if style is None:
                raise
            return StepOutcome("unchanged", facts={"branding_id": style["ManagedLoginBrandingId"]})
        style_id = response["ManagedLoginBranding"]["ManagedLoginBrandingId"]
        return StepOutcome(
            "created",
            [Change(RESOURCE, "create", None, None, "Cognito defaults")],
            facts={"branding_id": style_id},
        )
