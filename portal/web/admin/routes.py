"""Admin pages: users (create, role, disable, reset, sign out, unlock, TOTP policy), pools."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.cognito.errors import CognitoError
from portal.extensions import db
from portal.models import Role, User, utcnow
from portal.services.access import accounts, lockout, password_resets
from portal.services.access.portal_settings import REQUIRE_TOTP, set_setting, totp_required
from portal.services.access.sessions import Reason
from portal.services.access.users import create_user, generate_password
from portal.services.pools.registry import find_pool, inspect_pool, list_usage, register_pool
from portal.validation import ValidationError
from portal.web.access import roles
from portal.web.admin.forms import (
    ROLE_CHOICES,
    ActionForm,
    AdoptForm,
    CreateUserForm,
    RegisterPoolForm,
    RequireTotpForm,
    RoleForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _users_page(form: CreateUserForm | None = None, shown_once: dict | None = None, code=200):
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template(
        "admin/users.html",
        users=users,
        form=form or CreateUserForm(formdata=None),
        totp_form=RequireTotpForm(formdata=None, require_totp=totp_required()),
        action=ActionForm(formdata=None),
        roles=ROLE_CHOICES,
        delayed=lockout.delayed_addresses([u.email for u in users]),
        shown_once=shown_once,
        now=utcnow(),
    ), code


@bp.route("/users", methods=["GET", "POST"])
@roles(Role.ADMIN)
def users():
    form = CreateUserForm()
    if not form.is_submitted():
        return _users_page()
    if form.validate():
        password = form.password.data or generate_password()
        try:
            user = create_user(form.email.data, form.role.data, password)
        except ValidationError as error:
            target = getattr(form, error.field, form.email)
            target.errors = [*target.errors, error.message]
        else:
            shown = None if form.password.data else {"email": user.email, "password": password}
            flash(f"Created {user.email} ({user.role}).", "success")
            return _users_page(shown_once=shown)
    return _users_page(form, code=400)


@bp.post("/users/<int:user_id>/<any(enable, disable, unlock, reset, signout):action>")
@roles(Role.ADMIN)
def user_action(user_id: int, action: str):
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if action in ("enable", "disable"):
            accounts.set_enabled(user, action == "enable", by=current_user)
            flash(f"{user.email} is {'enabled' if user.is_enabled else 'disabled'}.", "success")
        elif action == "unlock":
            accounts.unlock(user)
            flash(f"{user.email} may try signing in again from every address.", "success")
        elif action == "signout":
            ended = accounts.end_sessions(user, Reason.ENDED_BY_ADMIN)
            flash(f"{user.email} is signed out everywhere ({ended} session(s) ended).", "success")
        else:
            issued = password_resets.issue(user)
            flash(f"Reset link for {user.email} issued; it works once.", "success")
            return _users_page(
                shown_once={"email": user.email, "link": issued.url, "expires": issued.expires_at}
            )
    except ValidationError as error:
        flash(error.message, "error")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/role")
@roles(Role.ADMIN)
def user_role(user_id: int):
    user = _user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = accounts.set_role(user, form.role.data, by=current_user)
    except ValidationError as error:
        flash(error.message, "error")
    else:
        if changed:
            flash(f"{user.email} is now {user.role}; their sessions have ended.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/settings/totp")
@roles(Role.ADMIN)
def require_totp():
    form = RequireTotpForm()
    if not form.validate_on_submit():
        abort(400)
    set_setting(REQUIRE_TOTP, bool(form.require_totp.data))
    if form.require_totp.data:
        without = db.session.scalar(
            select(func.count(User.id)).where(
                User.is_enabled.is_(True), User.totp_secret_encrypted.is_(None)
            )
        )
        flash(
            f"Every user now needs a TOTP second factor. {without} user(s) have none yet: they "
            "enrol at their next page, and their personal API tokens are refused until then.",
            "success",
        )
    else:
        flash("TOTP is optional again.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/pools", methods=["GET", "POST"])
@roles(Role.ADMIN)
def pools():
    form = RegisterPoolForm()
    code = 200
    if form.validate_on_submit():
        try:
            pool = register_pool(
                form.user_pool_id.data,
                max_clients=form.max_clients.data,
                max_identity_providers=form.max_identity_providers.data,
            )
        except ValidationError as error:
            db.session.rollback()
            target = getattr(form, error.field, form.user_pool_id)
            target.errors = [*target.errors, error.message]
        except CognitoError as error:
            db.session.rollback()
            form.user_pool_id.errors = [*form.user_pool_id.errors, error.explanation]
        else:
            flash(f"Registered {pool.user_pool_id} ({pool.name}).", "success")
            return redirect(url_for("admin.pools"))
    if form.errors:
        code = 400
    return render_template("admin/pools.html", form=form, pools=list_usage()), code


@bp.get("/pools/<user_pool_id>/check")
@roles(Role.ADMIN)
def check_pool(user_pool_id: str):
    """`portal pools check` in the browser: reads only, so a plain link runs it."""
    pool = find_pool(user_pool_id)
    if pool is None:
        abort(404)
    try:
        result = inspect_pool(pool.user_pool_id, pool.region)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.pools"))
    except CognitoError as error:
        flash(error.explanation, "error")
        return redirect(url_for("admin.pools"))
    return render_template("admin/pool_check.html", pool=pool, check=result)


@bp.route("/pools/<user_pool_id>/adopt", methods=["GET", "POST"])
@roles(Role.ADMIN)
def adopt_tenants(user_pool_id: str):
    """The pool's scan with a check-box per adoptable client, a dry-run preview and the result."""
    from portal.services.adoption.adopt import adopt
    from portal.services.adoption.scan import scan_pool

    pool = find_pool(user_pool_id)
    if pool is None:
        abort(404)
    form = AdoptForm()
    result, code = None, 200
    chosen = request.form.getlist("client_ids")
    try:
        if form.is_submitted():
            if not form.validate():
                abort(400)
            if not chosen:
                flash("Tick at least one app client to adopt.", "error")
                code = 400
            else:
                dry_run = not form.adopt.data
                result = adopt(pool, chosen, slug_from=form.slug_from.data, dry_run=dry_run)
                if not dry_run:
                    flash(f"Adopted {len(result.adopted)} tenant(s) as found.", "success")
        report = scan_pool(pool)
    except CognitoError as error:
        db.session.rollback()
        flash(f"Cognito could not be read: {error.explanation}", "error")
        return redirect(url_for("admin.pools"))
    return render_template(
        "admin/adopt.html", pool=pool, report=report, form=form, result=result, chosen=chosen
    ), code
