"""API: runs, audit events, and the calling token itself."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Run, Tenant
from portal.services.audit.query import AuditFilter, filter_conditions
from portal.validation import ValidationError
from portal.web.api import schemas
from portal.web.api.problems import ApiProblem, FieldError, validation_problem
from portal.web.api.registry import AUDITORS, EVERYONE, READERS, operation
from portal.web.api.views import audit_view, paginate, run_view, token_info

MAX_ID = 2**31 - 1


@operation(
    "GET",
    "/runs/<int:run_id>",
    summary="Read a run and its steps",
    tag="Runs",
    allow=READERS,
    response=schemas.RunView,
)
def get_run(run_id: int) -> schemas.RunView:
    """A run with each step's status, attempts and, on failure, the explanation."""
    run = db.session.get(Run, run_id) if run_id <= MAX_ID else None
    if run is None:
        raise ApiProblem(404, f"There is no run {run_id}.")
    slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == run.tenant_id))
    return run_view(run, slug)


@operation(
    "GET",
    "/audit-events",
    summary="List audit events",
    tag="Audit",
    allow=AUDITORS,
    query=schemas.AuditQuery,
    response=schemas.AuditPage,
)
def list_audit_events(query: schemas.AuditQuery) -> schemas.AuditPage:
    """The audit log, newest first, filtered as the log page is (secrets redacted)."""
    flt = AuditFilter(
        tenant=query.tenant, actor=query.actor, actor_type=query.actor_type, action=query.action
    )
    try:
        conditions = filter_conditions(flt)
    except ValidationError as exc:
        problem = FieldError(field=f"query.{exc.field}", message=exc.message)
        raise validation_problem([problem]) from exc
    statement = select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc())
    rows, total, next_page = paginate(statement, query.page, query.per_page)
    tenant_ids = {e.tenant_id for e in rows if e.tenant_id is not None}
    slugs = dict(
        db.session.execute(select(Tenant.id, Tenant.slug).where(Tenant.id.in_(tenant_ids))).all()
    )
    return schemas.AuditPage(
        items=[audit_view(e, slugs.get(e.tenant_id)) for e in rows],
        page=query.page,
        per_page=query.per_page,
        total=total,
        next_page=next_page,
    )


@operation(
    "GET",
    "/token",
    summary="Describe the calling token",
    tag="Tokens",
    allow=EVERYONE,
    response=schemas.TokenInfo,
)
def current_token() -> schemas.TokenInfo:
    """Which token this is, whose, with what role and, for application tokens, which tenants."""
    return token_info(g.api_token)
