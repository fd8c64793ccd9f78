"""Changing a tenant after onboarding: each action is a service call, then a redirect."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from portal.cognito.errors import CognitoError
from portal.crypto import encrypt
from portal.extensions import db
from portal.models import Role, UserPool
from portal.services.engine import drift, lifecycle
from portal.services.pools.registry import find_pool, list_usage, set_closed, set_quotas
from portal.services.tenants.records import UnknownTenant, get_tenant
from portal.services.tenants.rotation import new_secret_handovers
from portal.validation import ValidationError
from portal.web.access import STAFF_ROLES, roles
from portal.web.lifecycle.forms import (
    EditTenantForm,
    IdentityProviderForm,
    MoveForm,
    OffboardForm,
    QuotasForm,
    lines,
)
from portal.web.links.routes import NEW_LINK_KEY
from portal.web.tenants.forms import ActionForm

bp = Blueprint("lifecycle", __name__)


def _tenant(slug: str):
    try:
        return get_tenant(slug)
    except UnknownTenant:
        abort(404)


def _back(tenant) -> str:
    return url_for("tenants.show", slug=tenant.slug)


def _act(tenant, action, done: str, target: str | None = None):
    """Run a service action from a POST button: CSRF checked, errors flashed, then redirect."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action()
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_back(tenant))
    except CognitoError as exc:
        db.session.rollback()
        flash(exc.explanation, "error")
        return redirect(_back(tenant))
    flash(done, "success")
    return redirect(target or _back(tenant))


@bp.route("/tenants/<slug>/edit", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
def edit(slug: str):
    tenant = _tenant(slug)
    form = EditTenantForm(obj=None if request.method == "POST" else _Settings(tenant))
    if form.validate_on_submit():
        expires = form.secret_expires.data
        try:
            lifecycle.update_tenant(
                tenant,
                name=form.name.data,
                callback_urls=lines(form.callback_urls.data),
                logout_urls=lines(form.logout_urls.data),
                groups_claim=(form.groups_claim.data or "").strip(),
                roles_claim=form.roles_claim.data or None,
                clear_roles=not (form.roles_claim.data or "").strip(),
                email_verified_claim=form.email_verified_claim.data or None,
                clear_email_verified=not (form.email_verified_claim.data or "").strip(),
                scopes=form.scopes.data,
                idp_secret_expires_at=datetime(expires.year, expires.month, expires.day, tzinfo=UTC)
                if expires
                else None,
            )
        except ValidationError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None)
            if field is not None:
                field.errors = [*field.errors, exc.message]
            else:
                flash(exc.message, "error")
            return render_template("lifecycle/edit.html", tenant=tenant, form=form), 422
        flash("Saved. Review the Cognito changes below, then apply them.", "success")
        return redirect(url_for("lifecycle.plan", slug=slug))
    return render_template("lifecycle/edit.html", tenant=tenant, form=form)


@bp.route("/tenants/<slug>/identity-provider", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
def identity_provider(slug: str):
    """Change a live tenant's IdP: the wizard's pre-flight, then plan → apply."""
    tenant = _tenant(slug)
    form = IdentityProviderForm(obj=None if request.method == "POST" else _Idp(tenant))
    warnings: dict[str, list[str]] = {}
    check = None
    if form.validate_on_submit():
        try:
            check = lifecycle.change_idp(
                tenant,
                issuer=form.issuer.data.strip(),
                client_id=form.client_id.data.strip(),
                client_secret=form.client_secret.data or None,
                scopes=form.scopes.data,
                groups_claim=(form.groups_claim.data or "").strip(),
                roles_claim=(form.roles_claim.data or "").strip() or None,
                attributes_request_method=form.attributes_request_method.data,
            )
        except ValidationError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, exc.message]
            else:
                flash(exc.message, "error")
        else:
            if check.ok:
                for finding in check.warnings:
                    flash(f"Saved with a warning: {finding.message}", "warning")
                flash("Checked and saved. Review the Cognito changes, then apply them.", "success")
                return redirect(url_for("lifecycle.plan", slug=slug))
            for finding in check.findings:
                target = getattr(form, finding.field, None) or form.issuer
                if finding.level == "error":
                    target.errors = [*target.errors, finding.message]
                else:
                    warnings.setdefault(target.name, []).append(finding.message)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "lifecycle/identity_provider.html",
        tenant=tenant,
        form=form,
        warnings=warnings,
        check=check,
        secret_again=bool(request.method == "POST" and form.client_secret.data),
    ), status


class _Idp:
    """The tenant's IdP settings as the form shows them (never the secret)."""

    def __init__(self, tenant) -> None:
        self.issuer = tenant.issuer or ""
        self.client_id = tenant.idp_client_id or ""
        self.client_secret = ""
        self.scopes = tenant.authorize_scopes
        self.groups_claim = tenant.groups_claim
        self.roles_claim = tenant.roles_claim or ""
        self.attributes_request_method = tenant.attributes_request_method


class _Settings:
    """The tenant's settings as the edit form shows them."""

    def __init__(self, tenant) -> None:
        self.name = tenant.name
        self.callback_urls = "\n".join(tenant.callback_urls)
        self.logout_urls = "\n".join(tenant.logout_urls)
        self.groups_claim = tenant.groups_claim
        self.roles_claim = tenant.roles_claim or ""
        self.email_verified_claim = tenant.email_verified_claim or ""
        self.scopes = tenant.authorize_scopes
        self.secret_expires = (
            tenant.idp_secret_expires_at.date() if tenant.idp_secret_expires_at else None
        )


@bp.get("/tenants/<slug>/plan")
@roles(*STAFF_ROLES)
def plan(slug: str):
    tenant = _tenant(slug)
    try:
        result = lifecycle.plan_tenant(tenant)
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(_back(tenant))
    except CognitoError as exc:
        flash(exc.explanation, "error")
        return redirect(_back(tenant))
    return render_template("lifecycle/plan.html", tenant=tenant, plan=result, form=ActionForm())


@bp.post("/tenants/<slug>/apply")
@roles(*STAFF_ROLES)
def apply(slug: str):
    tenant = _tenant(slug)
    return _act(
        tenant,
        lambda: lifecycle.apply_tenant(tenant),
        "The changes are being applied.",
        url_for("tenants.progress", slug=slug),
    )


@bp.post("/tenants/<slug>/cancel")
@roles(*STAFF_ROLES)
def cancel(slug: str):
    tenant = _tenant(slug)
    return _act(
        tenant,
        lambda: lifecycle.cancel(tenant),
        "The run is cancelled; Retry continues it from where it stopped.",
    )


@bp.route("/tenants/<slug>/offboard", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
def offboard(slug: str):
    tenant = _tenant(slug)
    form = OffboardForm()
    if form.validate_on_submit():
        if form.confirm.data.strip() != tenant.slug:
            form.confirm.errors = [f"Type {tenant.slug} exactly to confirm."]
            return render_template("lifecycle/offboard.html", tenant=tenant, form=form), 422
        try:
            lifecycle.offboard(tenant, remove_users=form.remove_users.data)
        except ValidationError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(_back(tenant))
        flash(f"{tenant.name} is being offboarded; its history stays here.", "success")
        return redirect(url_for("tenants.progress", slug=slug))
    return render_template("lifecycle/offboard.html", tenant=tenant, form=form)


SECRET_ACTIONS = {
    "rotate": (
        lifecycle.start_secret_rotation,
        "A second client secret is being added; the current one keeps working.",
    ),
    "retire": (lifecycle.retire_old_secret, "The old client secret is being retired."),
    "cancel": (
        lifecycle.cancel_secret_rotation,
        "The new client secret is being withdrawn; the old one stays.",
    ),
}


@bp.route("/tenants/<slug>/secret/<action>", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
def secret_action(slug: str, action: str):
    """Rotate, retire or withdraw: a page that states the consequence, then the POST."""
    tenant = _tenant(slug)
    if action not in SECRET_ACTIONS:
        abort(404)
    if request.method == "GET":
        return render_template(
            "lifecycle/secret_confirm.html",
            tenant=tenant,
            action=action,
            handovers=new_secret_handovers(tenant),
            form=ActionForm(),
        )
    service, done = SECRET_ACTIONS[action]
    return _act(tenant, lambda: service(tenant), done)


@bp.post("/tenants/<slug>/drift/check")
@roles(*STAFF_ROLES)
def check_drift(slug: str):
    tenant = _tenant(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        findings = drift.check_drift(tenant)
    except (ValidationError, CognitoError) as exc:
        db.session.rollback()
        flash(getattr(exc, "explanation", None) or exc.message, "error")
        return redirect(_back(tenant))
    if tenant.status != "ready" or tenant.pending_changes_since is not None:
        flash("Not checked: drift is checked only on a ready tenant without pending changes.")
    elif findings:
        count = len(findings)
        flash(
            f"Cognito differs on {count} field{'s' if count != 1 else ''}; see Drift below.",
            "error",
        )
    else:
        checked = tenant.drift_checked_at.strftime("%Y-%m-%d %H:%M UTC")
        flash(
            f"No drift: Cognito matches on {drift.fields_compared(tenant)} fields, "
            f"checked at {checked}.",
            "success",
        )
    return redirect(_back(tenant))


@bp.post("/tenants/<slug>/drift/repair")
@roles(*STAFF_ROLES)
def repair_drift(slug: str):
    tenant = _tenant(slug)
    return _act(
        tenant,
        lambda: drift.repair(tenant),
        "The drifted values are being put back.",
        url_for("tenants.progress", slug=slug),
    )


@bp.post("/tenants/<slug>/drift/accept")
@roles(*STAFF_ROLES)
def accept_drift(slug: str):
    tenant = _tenant(slug)
    ids = [int(v) for v in request.form.getlist("finding") if v.isdigit()] or None
    return _act(
        tenant, lambda: drift.accept(tenant, ids), "The live values are now the tenant's settings."
    )


@bp.route("/tenants/<slug>/move", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
def move(slug: str):
    tenant = _tenant(slug)
    usages = [u for u in list_usage() if u.pool.id != tenant.pool_id]
    form = MoveForm()
    form.pool.choices = [
        (
            u.pool.user_pool_id,
            f"{u.pool.user_pool_id} ({u.pool.name})" + ("" if u.has_room else " — no room"),
        )
        for u in usages
    ]
    if form.validate_on_submit():
        target = find_pool(form.pool.data)
        try:
            _run, token = lifecycle.start_move(tenant, target)
        except ValidationError as exc:
            db.session.rollback()
            form.pool.errors = [exc.message]
            return render_template("lifecycle/move.html", tenant=tenant, form=form), 422
        # The links page shows a new link's URL once, from the session (encrypted meanwhile).
        session[NEW_LINK_KEY] = {"tenant": tenant.id, "token": encrypt(token).decode("ascii")}
        flash(
            "The tenant is being provisioned in the new pool. Send the customer the new setup "
            "link below: it shows the redirect URI to register at their IdP. Hand the application "
            "the new credentials, then finish the move from the tenant's page.",
            "success",
        )
        return redirect(url_for("links.index", slug=slug))
    return render_template("lifecycle/move.html", tenant=tenant, form=form)


@bp.post("/tenants/<slug>/move/finish")
@roles(*STAFF_ROLES)
def finish_move(slug: str):
    tenant = _tenant(slug)
    return _act(
        tenant,
        lambda: lifecycle.finish_move(tenant),
        "The resources in the previous pool are being removed.",
        url_for("tenants.progress", slug=slug),
    )


def _pool(user_pool_id: str) -> UserPool:
    pool = db.session.scalar(select(UserPool).where(UserPool.user_pool_id == user_pool_id))
    if pool is None:
        abort(404)
    return pool


@bp.post("/admin/pools/<user_pool_id>/close")
@roles(Role.ADMIN)
def close_pool(user_pool_id: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    set_closed(_pool(user_pool_id), True)
    flash(f"{user_pool_id} is closed to new tenants; its tenants stay.", "success")
    return redirect(url_for("admin.pools"))


@bp.post("/admin/pools/<user_pool_id>/open")
@roles(Role.ADMIN)
def open_pool(user_pool_id: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    set_closed(_pool(user_pool_id), False)
    flash(f"{user_pool_id} takes new tenants again.", "success")
    return redirect(url_for("admin.pools"))


@bp.post("/admin/pools/<user_pool_id>/quotas")
@roles(Role.ADMIN)
def pool_quotas(user_pool_id: str):
    form = QuotasForm()
    if not form.validate_on_submit():
        flash("Quotas must be whole numbers of at least 1.", "error")
        return redirect(url_for("admin.pools"))
    set_quotas(_pool(user_pool_id), form.max_clients.data, form.max_identity_providers.data)
    flash(f"Quotas of {user_pool_id} recorded.", "success")
    return redirect(url_for("admin.pools"))


@bp.app_context_processor
def _lifecycle_helpers() -> dict:
    from flask import g

    from portal.services.engine.kinds import active_move

    def lifecycle_state(tenant) -> dict:
        """Drift findings and an active move, read once per request (two partials use them)."""
        cache = g.setdefault("lifecycle_state", {})
        if tenant.id not in cache:
            findings = drift.open_findings(tenant) if tenant.drift_detected_at else []
            cache[tenant.id] = {"findings": findings, "move": active_move(tenant)}
        return cache[tenant.id]

    return {"lifecycle_state": lifecycle_state}
