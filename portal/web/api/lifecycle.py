"""API: plan and apply a tenant's settings, and offboard it (portal.services.engine.lifecycle)."""

from __future__ import annotations

from flask import url_for

from portal.services.audit.trail import redact
from portal.services.engine import lifecycle
from portal.services.engine.queue import latest_run
from portal.services.tenants.records import get_tenant
from portal.validation import ValidationError
from portal.web.api import schemas
from portal.web.api.registry import WRITERS, operation
from portal.web.api.views import run_view, tenant_view

TAG = "Tenants"


@operation(
    "GET",
    "/tenants/<slug>/plan",
    summary="Plan: what applying the tenant's settings would change",
    tag=TAG,
    allow=WRITERS,
    query=schemas.StandardQuery,
    response=schemas.TenantPlanView,
    errors=(409, 502),
)
def plan_tenant(slug: str, query: schemas.StandardQuery) -> schemas.TenantPlanView:
    """Read the tenant's live Cognito resources and list each difference (a dry run)."""
    plan = lifecycle.plan_tenant(get_tenant(slug), standard=query.standard)
    return schemas.TenantPlanView(
        slug=plan.slug,
        changes=plan.changes,
        resources=[
            schemas.ResourcePlanView(
                step=r.step,
                title=r.title,
                outcome=r.outcome,
                changes=[schemas.PlanChange(**redact(c)) for c in r.changes],
            )
            for r in plan.resources
        ],
    )


@operation(
    "POST",
    "/tenants/<slug>/apply",
    summary="Apply the tenant's settings",
    tag=TAG,
    allow=WRITERS,
    query=schemas.StandardQuery,
    response=schemas.RunView,
    status=202,
    errors=(409,),
    response_headers={"Location": "The run's URL."},
)
def apply_tenant(slug: str, query: schemas.StandardQuery):
    """Queue a run that changes only what differs (see the plan); follow it at Location."""
    tenant = get_tenant(slug)
    run = lifecycle.apply_tenant(tenant, standard=query.standard)
    return run_view(run, tenant.slug), {"Location": url_for("api.get_run", run_id=run.id)}


@operation(
    "POST",
    "/tenants/<slug>/offboard",
    summary="Offboard a tenant",
    tag=TAG,
    allow=WRITERS,
    body=schemas.OffboardRequest,
    response=schemas.OffboardResult,
    status=202,
    errors=(409,),
)
def offboard_tenant(slug: str, body: schemas.OffboardRequest) -> schemas.OffboardResult:
    """Remove the tenant's style, app client and provider; keep the tenant and its history.

    The provider's name is never given to another tenant. Offboarding twice changes nothing.
    """
    tenant = get_tenant(slug)
    if body.confirm != tenant.slug:
        raise ValidationError("confirm", f"type the tenant's slug ({tenant.slug}) to confirm")
    run = lifecycle.offboard(tenant, remove_users=body.remove_federated_users)
    return schemas.OffboardResult(
        tenant=tenant_view(tenant, run or latest_run(tenant)),
        run=run_view(run, tenant.slug) if run is not None else None,
    )
