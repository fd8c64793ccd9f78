"""Tenant pages: list, details with runs and audit trail, live progress, retry and handover."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from portal.cognito.errors import CognitoError
from portal.cognito.resources import STEPS_BY_NAME
from portal.extensions import db
from portal.models import Run, RunStatus, Tenant, TenantStatus, WizardDraft
from portal.services.engine import lifecycle
from portal.services.engine.desired import test_callback_url
from portal.services.engine.progress import latest, token, wait_for_change
from portal.services.engine.queue import latest_run, queue_onboarding
from portal.services.pools.registry import NoPoolHasRoom
from portal.services.tenants.envfile import env_file_blocker, flagged_urls, render_env_file
from portal.services.tenants.handover import hosted_urls, reveal_credentials, tenant_summary
from portal.services.tenants.listing import SORTS, TenantFilter, audit_trail, list_tenants
from portal.services.tenants.offboarded import CredentialsGone, offboarding_of
from portal.services.tenants.records import UnknownTenant, get_tenant
from portal.validation import ValidationError
from portal.web.access import ALL_ROLES, STAFF_ROLES, roles
from portal.web.converters import id_arg
from portal.web.tenants.actions import TENANT_ACTION_TEMPLATES
from portal.web.tenants.forms import ActionForm

bp = Blueprint("tenants", __name__, url_prefix="/tenants")
STATUSES = [s.value for s in TenantStatus]


def _tenant(slug: str) -> Tenant:
    try:
        return get_tenant(slug)
    except UnknownTenant:
        abort(404)


def can_change() -> bool:
    return current_user.is_authenticated and current_user.role in STAFF_ROLES


def step_title(name: str) -> str:
    step = STEPS_BY_NAME.get(name)
    return step.title if step is not None else name.replace("_", " ").capitalize()


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "step_title": step_title,
        "can_change": can_change,
        "has_endpoint": lambda name: name in current_app.view_functions,
        "flagged_urls": flagged_urls,
    }


@bp.get("")
@roles(*ALL_ROLES)
def index():
    args = request.args
    try:
        page = int(args.get("page", "1"))
    except ValueError:
        page = 1
    sort = args.get("sort", "name")
    wanted = TenantFilter(
        q=args.get("q", "").strip()[:128],
        status=args.get("status", "") if args.get("status") in STATUSES else "",
        pool=args.get("pool", "").strip()[:64],
        sort=sort if sort in SORTS else "name",
        desc=args.get("dir") == "desc",
        page=page,
    )
    return render_template(
        "tenants/index.html", result=list_tenants(wanted), statuses=STATUSES, list_url=list_url
    )


def list_url(wanted: TenantFilter, **changes) -> str:
    """The list's URL with the current search, filters and sort, some of them changed."""
    params = {
        "q": wanted.q,
        "status": wanted.status,
        "pool": wanted.pool,
        "sort": wanted.sort,
        "dir": "desc" if wanted.desc else "",
        "page": wanted.page,
        **changes,
    }
    if params["page"] == 1:
        params.pop("page")
    return url_for("tenants.index", **{k: v for k, v in params.items() if v})


ACTIVE_RUN = (RunStatus.QUEUED, RunStatus.RUNNING)


@bp.get("/<slug>")
@roles(*ALL_ROLES)
def show(slug: str):
    tenant = _tenant(slug)
    before = id_arg("before")
    events, next_before = audit_trail(tenant, before)
    runs = db.session.scalars(
        select(Run).where(Run.tenant_id == tenant.id).order_by(Run.id.desc()).limit(20)
    ).all()
    run = runs[0] if runs else None
    return render_template(
        "tenants/show.html",
        tenant=tenant,
        run=run,
        runs=runs,
        summary=tenant_summary(tenant, run),
        urls=hosted_urls(tenant),
        draft=db.session.get(WizardDraft, tenant.id),
        events=events,
        next_before=next_before,
        paged=before is not None,
        action_templates=TENANT_ACTION_TEMPLATES,
        form=ActionForm(),
        test_callback=test_callback_url(),
        offboarding=offboarding_of(tenant),
        since=token(tenant.status, run) if run and run.status in ACTIVE_RUN else None,
    )


@bp.errorhandler(CredentialsGone)
def _credentials_gone(error: CredentialsGone):
    """Reveal and downloads of an offboarded tenant: 410, with when, by whom and why."""
    db.session.rollback()
    return render_template("tenants/gone.html", tenant=error.tenant, error=error), 410


@bp.get("/<slug>/progress")
@roles(*ALL_ROLES)
def progress(slug: str):
    run, tenant = latest(_tenant(slug).id)
    return render_template(
        "tenants/progress.html",
        tenant=tenant,
        run=run,
        form=ActionForm(),
        since=token(tenant.status, run),
    )


@bp.get("/<slug>/progress/steps")
@roles(*ALL_ROLES)
def progress_steps(slug: str):
    """The live part of the progress page: with ?since=TOKEN, held until it changes (long poll)."""
    tenant_id = _tenant(slug).id
    since = request.args.get("since", "")
    if since:
        wait_for_change(tenant_id, since)
    run, tenant = latest(tenant_id)
    return render_template(
        "tenants/_progress.html",
        tenant=tenant,
        run=run,
        form=ActionForm(),
        since=token(tenant.status, run),  # of what this answer shows
    )


@bp.post("/<slug>/retry")
@roles(*STAFF_ROLES)
def retry(slug: str):
    tenant = _tenant(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    last = latest_run(tenant)
    try:
        if last is not None and last.status in (RunStatus.FAILED, RunStatus.CANCELLED):
            lifecycle.retry(tenant)  # resumes the stopped run, whatever its kind
        else:
            queue_onboarding([tenant])  # a finished draft (e.g. the customer entered the IdP)
    except (ValidationError, NoPoolHasRoom) as error:
        flash(getattr(error, "message", str(error)), "error")
        return redirect(url_for("tenants.progress", slug=tenant.slug))
    flash("Onboarding queued; steps already done are not repeated.", "success")
    return redirect(url_for("tenants.progress", slug=tenant.slug))


def _reveal(tenant: Tenant, purpose: str, with_previous: bool = False) -> dict | None:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        return reveal_credentials(tenant, purpose, with_previous=with_previous)
    except ValidationError as error:
        flash(error.message, "error")
    except CognitoError as error:
        db.session.rollback()
        flash(f"Cognito did not hand over the secret: {error.explanation}", "error")
    return None


@bp.post("/<slug>/reveal")
@roles(*STAFF_ROLES)
def reveal(slug: str):
    tenant = _tenant(slug)
    bundle = _reveal(tenant, "shown in the browser", with_previous=True)
    if bundle is None:
        return redirect(url_for("tenants.show", slug=tenant.slug))
    return render_template("tenants/reveal.html", tenant=tenant, bundle=bundle, form=ActionForm())


@bp.post("/<slug>/credentials.env")
@roles(*STAFF_ROLES)
def download_env(slug: str):
    tenant = _tenant(slug)
    blocker = env_file_blocker(tenant)
    if blocker is not None:
        flash(blocker, "error")
        return redirect(url_for("tenants.show", slug=tenant.slug))
    bundle = _reveal(tenant, "downloaded as .env")
    if bundle is None:
        return redirect(url_for("tenants.show", slug=tenant.slug))
    return _attachment(render_env_file(tenant, bundle), f"{tenant.slug}-cognito.env", "text/plain")


@bp.post("/<slug>/credentials.json")
@roles(*STAFF_ROLES)
def download_json(slug: str):
    tenant = _tenant(slug)
    bundle = _reveal(tenant, "downloaded as JSON")
    if bundle is None:
        return redirect(url_for("tenants.show", slug=tenant.slug))
    body = json.dumps({"tenant": tenant.slug, **bundle}, indent=2) + "\n"
    return _attachment(body, f"{tenant.slug}-cognito.json", "application/json")


def _attachment(body: str, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
