"""/tenants/<slug>/domains/...: staff actions on claimed e-mail domains, then back to the page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for

from portal.extensions import db
from portal.models import Tenant
from portal.services.domains import claims, verification
from portal.services.tenants.records import UnknownTenant, get_tenant
from portal.validation import ValidationError
from portal.web.access import STAFF_ROLES, roles
from portal.web.domains.forms import AddDomainForm, DecideDomainForm
from portal.web.tenants.forms import ActionForm

bp = Blueprint("domains", __name__, url_prefix="/tenants/<slug>/domains")


def _tenant(slug: str) -> Tenant:
    try:
        return get_tenant(slug)
    except UnknownTenant:
        abort(404)


def _back(tenant: Tenant):
    return redirect(url_for("tenants.show", slug=tenant.slug, _anchor="domains"))


def _refused(tenant: Tenant, exc: ValidationError):
    db.session.rollback()
    flash(exc.message, "error")
    return _back(tenant)


def _first_error(form) -> str:
    return next(iter(e for errors in form.errors.values() for e in errors), "Check the form.")


@bp.post("")
@roles(*STAFF_ROLES)
def add(slug: str):
    tenant = _tenant(slug)
    form = AddDomainForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
        return _back(tenant)
    try:
        claim = claims.claim_domain(tenant, form.domain.data or "")
    except ValidationError as exc:
        return _refused(tenant, exc)
    flash(f"{claim.domain} is claimed. It becomes a sign-in domain once verified.", "success")
    return _back(tenant)


@bp.post("/check")
@roles(*STAFF_ROLES)
def check(slug: str):
    tenant = _tenant(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        verified = verification.check_tenant(tenant)
    except ValidationError as exc:
        return _refused(tenant, exc)
    waiting = [d.domain for d in tenant.domains if d.state != "verified"]
    if verified:
        flash(f"Verified by DNS: {', '.join(d.domain for d in verified)}.", "success")
    if waiting:
        flash(f"Not verified yet: {', '.join(waiting)} (see the last check).", "warning")
    return _back(tenant)


@bp.post("/verify")
@roles(*STAFF_ROLES)
def verify(slug: str):
    tenant = _tenant(slug)
    form = DecideDomainForm()
    if not form.validate_on_submit():
        flash(f"Not verified: {_first_error(form)}", "error")
        return _back(tenant)
    try:
        claim = claims.verify_by_hand(tenant, form.domain.data or "", form.reason.data or "")
    except ValidationError as exc:
        return _refused(tenant, exc)
    flash(f"{claim.domain} is verified by hand; the reason is in the audit trail.", "success")
    return _back(tenant)


@bp.post("/remove")
@roles(*STAFF_ROLES)
def remove(slug: str):
    tenant = _tenant(slug)
    form = DecideDomainForm()
    if not form.validate_on_submit():
        flash(f"Not removed: {_first_error(form)}", "error")
        return _back(tenant)
    try:
        claims.remove_domain(tenant, form.domain.data or "", form.reason.data or "")
    except ValidationError as exc:
        return _refused(tenant, exc)
    flash(f"{form.domain.data} is no longer claimed.", "success")
    return _back(tenant)
