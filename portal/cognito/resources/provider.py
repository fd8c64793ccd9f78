"""Step 2: the tenant's external identity provider, OIDC or SAML."""

from __future__ import annotations

import hashlib
from typing import Any

from portal.cognito.desired import SAML_DESCRIBE_ONLY, SAML_FLAGS
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


def comparable_saml_details(details: dict[str, str]) -> dict[str, str]:
    """SAML details as compared for drift: no describe-only keys, a flag left out is "false",
    and a metadata document by its hash (a drift finding or plan never carries the XML)."""
    out = {k: v for k, v in details.items() if k not in SAML_DESCRIBE_ONLY}
    for flag in SAML_FLAGS:
        out[flag] = str(out.get(flag) or "false").lower()
    if out.get("MetadataFile") is not None:
        digest = hashlib.sha256(out["MetadataFile"].strip().encode("utf-8")).hexdigest()
        out["MetadataFile"] = f"sha256:{digest}"
    return out


def provider_changes(ctx: StepContext, live: dict[str, Any]) -> list[Change]:
    desired = ctx.desired
    if live.get("ProviderType", desired.provider_type) != desired.provider_type:
        return [
            Change(
                RESOURCE, "update", "ProviderType", live.get("ProviderType"), desired.provider_type
            )
        ]
    details = live.get("ProviderDetails", {})
    wanted = desired.provider_details()
    changes = []
    if desired.is_saml:
        details, wanted = comparable_saml_details(details), comparable_saml_details(wanted)
        for key in sorted(set(details) - set(wanted)):  # e.g. a MetadataURL the file replaces
            changes.append(Change(RESOURCE, "update", f"ProviderDetails.{key}", details[key], None))
    for key, after in wanted.items():
        if details.get(key) != after:
            changes.append(
                Change(RESOURCE, "update", f"ProviderDetails.{key}", details.get(key), after)
            )
    if (
        not desired.is_saml
        and desired.idp_client_secret is not None
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
        outcome = self._apply(ctx)
        ctx.live["provider_ready"] = True  # the app client step may now list it
        return outcome

    def _apply(self, ctx: StepContext) -> StepOutcome:
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
        if changes[0].field == "ProviderType":
            raise PermanentError(
                "UpdateIdentityProvider",
                "ProviderTypeChanged",
                f"The provider {ctx.desired.provider_name} in Cognito is "
                f"{changes[0].before}, and Cognito cannot change a provider's type. Set the "
                "identity provider again (portal tenants set-idp): the switch then creates a "
                "new provider and removes the old one.",
            )
        secret = ctx.desired.idp_client_secret or live.get("ProviderDetails", {}).get(
            "client_secret"
        )
        # Full details on every update, built from the desired state: the describe-only keys
        # (SSORedirectBindingURI, ActiveEncryptionCertificate, ...) are never sent back.
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
        if not secret and not ctx.desired.is_saml:
            raise PermanentError(
                "CreateIdentityProvider",
                "SecretNeeded",
                "The identity provider does not exist in Cognito and the portal no longer holds "
                "the customer's client secret (it is deleted once Cognito has it). Ask the "
                "customer to enter it again through a new setup link, then retry.",
            )
        params: dict[str, Any] = {
            "ProviderName": ctx.desired.provider_name,
            "ProviderType": ctx.desired.provider_type,
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
        if secret and not ctx.desired.is_saml:
            details["client_secret"] = secret
        return details
