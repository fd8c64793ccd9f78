"""`tenants adopt`: a ready tenant per hand-made client, recorded as found; no write to Cognito."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from portal.cognito.desired import GROUPS_ATTRIBUTE, ROLES_ATTRIBUTE, SAML_FLAGS
from portal.config import current_settings
from portal.extensions import db
from portal.models import Tenant, TenantStatus, UserPool, utcnow
from portal.models.tenants import DEFAULT_EMAIL_ATTRIBUTE, NO_GROUPS_CLAIM, ProviderType
from portal.saml.metadata import check_metadata_file, fetch_metadata
from portal.services.adoption.scan import ScannedClient, owned_resources, scan_pool
from portal.services.audit import trail
from portal.services.domains.claims import TOKEN_BYTES, kept_from_cognito
from portal.services.tenants.records import store_metadata, tenant_settings
from portal.validation import ValidationError, check_name, suggest_slug

SLUG_SOURCES = ("provider", "client")


@dataclass
class AdoptedTenant:
    slug: str
    name: str
    client_id: str
    client_name: str
    provider_name: str
    deviations: list[str]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Refusal:
    client_id: str
    client_name: str | None
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class AdoptionResult:
    user_pool_id: str
    dry_run: bool
    adopted: list[AdoptedTenant] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_pool_id": self.user_pool_id,
            "dry_run": self.dry_run,
            "adopted": [a.to_dict() for a in self.adopted],
            "refused": [r.to_dict() for r in self.refused],
        }


def adopt(
    pool: UserPool,
    client_ids: list[str] | None = None,
    *,
    slug_from: str = "provider",
    dry_run: bool = False,
) -> AdoptionResult:
    """Make a ready tenant of each adoptable client (all, or CLIENT_IDS); reads Cognito only.

    Adopting again adopts nothing new: adopted clients belong to tenants and are skipped.
    """
    if slug_from not in SLUG_SOURCES:
        raise ValidationError("slug_from", f"slug_from must be one of {', '.join(SLUG_SOURCES)}")
    report = scan_pool(pool)  # reads Cognito; the call ledger commits as it goes
    result = AdoptionResult(pool.user_pool_id, dry_run)
    if not dry_run:
        # One adoption per pool at a time: a second one waits here, then finds the clients owned.
        db.session.scalar(
            select(UserPool).where(UserPool.id == pool.id).with_for_update(key_share=True)
        )
    owned_clients, owned_providers = owned_resources(pool)
    found = {c.client_id: c for c in report.clients if c.client_id not in owned_clients}
    chosen: list[ScannedClient] = []
    if client_ids:
        for client_id in dict.fromkeys(c.strip() for c in client_ids if c.strip()):
            if client_id in found:
                chosen.append(found[client_id])
            elif client_id in owned_clients:
                result.refused.append(
                    Refusal(client_id, None, ["it belongs to a tenant of the portal already"])
                )
            else:
                result.refused.append(Refusal(client_id, None, ["no such app client in the pool"]))
    else:
        chosen = list(found.values())
    taken_slugs = set(db.session.scalars(select(Tenant.slug)))
    taken_client_names = set(db.session.scalars(select(Tenant.client_name)))
    for scanned in chosen:
        reasons = list(scanned.refusals)
        if scanned.adoptable and scanned.providers[0]["name"] in owned_providers:
            reasons.append("its provider was adopted by someone else a moment ago")
        if not reasons:
            try:
                tenant, adopted = _tenant_for(
                    pool, scanned, slug_from, taken_slugs, taken_client_names
                )
            except CannotAdopt as exc:
                reasons.append(str(exc))
        if reasons:
            result.refused.append(Refusal(scanned.client_id, scanned.client_name, reasons))
            continue
        result.adopted.append(adopted)
        if dry_run:
            continue
        db.session.add(tenant)
        db.session.flush()
        _take_over_baseline(pool, scanned)
        trail.record(
            "tenant.adopted",
            tenant,
            after=tenant_settings(tenant),
            found=scanned.to_dict(),
            note=adopted.note,
        )
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return result


def _tenant_for(
    pool: UserPool,
    scanned: ScannedClient,
    slug_from: str,
    taken_slugs: set[str],
    taken_client_names: set[str],
) -> tuple[Tenant, AdoptedTenant]:
    assert scanned.config is not None and scanned.provider is not None
    provider_name = scanned.providers[0]["name"]
    source = provider_name if slug_from == "provider" else scanned.client_name or provider_name
    wanted = suggest_slug(source)
    slug = _unique(wanted, taken_slugs)
    note = None
    if slug != wanted:
        note = f"the slug {wanted} was taken, so this tenant is {slug}"
    try:
        name = check_name(scanned.client_name)
    except ValidationError:
        name = slug
    client_name = scanned.client_name[:128] or slug
    if client_name in taken_client_names:  # Cognito allows two clients one name; we do not
        client_name = f"{client_name[:119]}-{secrets.token_hex(4)}"
    taken_client_names.add(client_name)
    details = scanned.provider.get("ProviderDetails") or {}
    mapping = scanned.provider.get("AttributeMapping") or {}
    now = utcnow()
    tenant = Tenant(
        slug=slug,
        name=name,
        status=TenantStatus.READY,
        pool=pool,
        pool_pinned=True,
        callback_urls=scanned.callback_urls,
        logout_urls=scanned.logout_urls,
        issuer=details.get("oidc_issuer"),
        idp_client_id=details.get("client_id"),
        idp_secret_in_cognito=True,  # the secret stays in Cognito; it is never read into ours
        authorize_scopes=details.get("authorize_scopes") or "openid",
        groups_claim=mapping.get(GROUPS_ATTRIBUTE) or NO_GROUPS_CLAIM,
        roles_claim=mapping.get(ROLES_ATTRIBUTE),
        attributes_request_method=details.get("attributes_request_method") or "GET",
        # Identifiers Cognito holds stay there, shown unverified until staff decide.
        domains=kept_from_cognito(scanned.idp_identifiers),
        domain_token=secrets.token_hex(TOKEN_BYTES) if scanned.idp_identifiers else None,
        provider_name=provider_name,
        client_name=client_name,
        client_id=scanned.client_id,
        client_create_started=True,
        provider_created=True,
        branding_id=scanned.style_id,
        adopted_config=scanned.config.to_json(),
        adopted_at=now,
        ready_at=now,
    )
    if scanned.provider.get("ProviderType") == ProviderType.SAML:
        _take_saml_settings(tenant, details, mapping)
    return tenant, AdoptedTenant(
        slug, name, scanned.client_id, scanned.client_name, provider_name, scanned.deviations, note
    )


class CannotAdopt(Exception):
    """This client cannot be adopted after all; the message says why."""


def _take_saml_settings(tenant: Tenant, details: dict[str, str], mapping: dict[str, str]) -> None:
    """A SAML provider's settings as Cognito holds them, with its metadata checked.

    The document is what Cognito was given (MetadataFile); a provider made from a MetadataURL
    has it fetched once through the SSRF guard, as a SAML tenant's pre-flight does.
    """
    tenant.provider_type = ProviderType.SAML
    tenant.issuer = tenant.idp_client_id = None
    tenant.idp_secret_in_cognito = False  # a SAML provider has no client secret
    tenant.email_attribute = mapping.get("email") or DEFAULT_EMAIL_ATTRIBUTE
    allow_loopback = current_settings().allow_loopback_issuers
    document, url = details.get("MetadataFile"), details.get("MetadataURL")
    if document:
        check = check_metadata_file(document, allow_loopback=allow_loopback)
    else:
        check = fetch_metadata(url or "", allow_loopback=allow_loopback)
    if not check.document:
        problems = "; ".join(f.message for f in check.errors) or "no metadata"
        raise CannotAdopt(f"its SAML metadata could not be read: {problems}")
    store_metadata(tenant, check)
    if document:
        tenant.saml_metadata_xml = document  # exactly what Cognito holds, so nothing differs
    tenant.saml_metadata_url = url
    tenant.saml_sign_requests = bool(details.get("RequestSigningAlgorithm"))
    flags = {key: str(details.get(key) or "false").lower() == "true" for key in SAML_FLAGS}
    tenant.saml_idp_signout = flags["IDPSignout"]
    tenant.saml_encrypted_responses = flags["EncryptedResponses"]
    tenant.saml_idp_initiated = flags["IDPInit"]


def _unique(slug: str, taken: set[str]) -> str:
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = slug[: 32 - len(suffix)].rstrip("-") + suffix
    taken.add(candidate)
    return candidate


def _take_over_baseline(pool: UserPool, scanned: ScannedClient) -> None:
    """The pool's count of resources no tenant owns loses what the new tenant now holds."""
    pool.baseline_clients = max(0, pool.baseline_clients - 1)
    pool.baseline_identity_providers = max(0, pool.baseline_identity_providers - 1)
    if scanned.style_id is not None:
        pool.baseline_styles = max(0, pool.baseline_styles - 1)
