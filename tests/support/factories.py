"""Building blocks for tests: registered pools, tenants with IdP settings, executed runs."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from sqlalchemy import select

from portal.models import Run, RunStatus, Tenant
from portal.services.audit.actors import Actor, acting_as
from portal.services.engine.execution import execute_run
from portal.services.engine.queue import queue_onboarding
from portal.services.pools.registry import register_pool
from portal.services.tenants.records import create_tenant, set_idp, set_saml_idp

TEST_ACTOR = Actor("user", "1", "tester@example.com", "127.0.0.1", "pytest", "req-test")
IDP_SECRET = "customer-idp-secret-Zq8w3v"


def cognito_client() -> Any:
    """A boto3 client configured only by the environment (the standard endpoint setting)."""
    return boto3.client("cognito-idp", config=Config(retries={"total_max_attempts": 1}))


def pool(emulator, classic: bool = False, **quotas: int):
    """Seed one pool in the emulator and register it with the portal."""
    seeded = emulator.seed(pools=0 if classic else 1, classic_pools=1 if classic else 0)[0]
    with acting_as(TEST_ACTOR):
        return register_pool(seeded.user_pool_id, seeded.region, **quotas)


def tenant(
    slug: str,
    issuer: str,
    *,
    pool_id: str | None = None,
    roles_claim: str | None = None,
    groups_claim: str = "app_groups",
    callback: str = "https://app.example.com/callback",
    secret: str = IDP_SECRET,
) -> Tenant:
    """A tenant with IdP settings that passed the pre-flight, ready to onboard."""
    with acting_as(TEST_ACTOR):
        made = create_tenant(
            slug, slug.title(), [callback], ["https://app.example.com/bye"], pool_id=pool_id
        )
        result = set_idp(
            made,
            issuer=issuer,
            client_id=f"{slug}-idp-client",
            client_secret=secret,
            groups_claim=groups_claim,
            roles_claim=roles_claim,
        )
        assert result.ok, result.findings
    return made


def saml_tenant(
    slug: str,
    metadata: str,
    *,
    email_attribute: str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    groups_attribute: str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    roles_attribute: str | None = None,
    **options: Any,
) -> Tenant:
    """A tenant whose SAML metadata (a document, or a URL when it starts with http) passed."""
    source = {"metadata_url": metadata} if metadata.startswith("http") else {}
    with acting_as(TEST_ACTOR):
        made = create_tenant(
            slug,
            slug.title(),
            ["https://app.example.com/callback"],
            ["https://app.example.com/bye"],
        )
        result = set_saml_idp(
            made,
            metadata_file=None if source else metadata,
            email_attribute=email_attribute,
            groups_attribute=groups_attribute,
            roles_attribute=roles_attribute,
            **source,
            **options,
        )
        assert result.ok, result.findings
    return made


def onboard(*tenants: Tenant) -> list[Run]:
    with acting_as(TEST_ACTOR):
        return queue_onboarding(list(tenants))


def run_now(run: Run, worker: str = "test-worker") -> str:
    """Execute a run in this process, as a worker would."""
    return execute_run(run.id, worker).status


def ready_tenant(emulator, idp, slug="acme", **kwargs) -> Tenant:
    """A tenant onboarded in a fresh pool of the emulator, its run executed here."""
    pool(emulator)
    made = tenant(slug, idp, **kwargs)
    assert run_now(onboard(made)[0]) == RunStatus.SUCCEEDED
    return made


def fresh(db, tenant: Tenant) -> Tenant:
    """The tenant as the database holds it now."""
    db.session.expire_all()
    return db.session.get(Tenant, tenant.id)


def run_latest(db, tenant: Tenant) -> str:
    """Execute the tenant's newest run here; its final status."""
    run = db.session.scalars(
        select(Run).where(Run.tenant_id == tenant.id).order_by(Run.id.desc())
    ).first()
    return execute_run(run.id, "test-worker").status
