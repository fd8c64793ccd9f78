"""Pages: /account/tokens (everyone: their own tokens) and the admins' application tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.models import Role
from portal.services.access import api_tokens
from portal.validation import ValidationError
from portal.web.access import ALL_ROLES, roles
from portal.web.tokens.forms import NewApplicationTokenForm, NewTokenForm, RevokeForm

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.route("", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def index():
    form = NewTokenForm()
    issued = None
    if form.validate_on_submit():
        try:
            issued = api_tokens.create_personal_token(current_user, form.name.data)
        except ValidationError as exc:
            form.name.errors.append(exc.message)
        else:
            form = NewTokenForm(formdata=None)
    return render_template(
        "tokens/index.html",
        form=form,
        issued=issued,
        tokens=api_tokens.tokens_of(current_user),
        revoke_form=RevokeForm(),
    ), (201 if issued else 200)


@bp.route("/applications", methods=["GET", "POST"])
@roles(Role.ADMIN)
def applications():
    form = NewApplicationTokenForm()
    issued = None
    if form.validate_on_submit():
        try:
            issued = api_tokens.create_application_token(form.name.data, form.tenant_slugs())
        except ValidationError as exc:
            (form.tenants if exc.field == "tenants" else form.name).errors.append(exc.message)
        else:
            form = NewApplicationTokenForm(formdata=None)
    return render_template(
        "tokens/applications.html",
        form=form,
        issued=issued,
        app_tokens=api_tokens.application_tokens(),
        personal_tokens=api_tokens.all_personal_tokens(),
        revoke_form=RevokeForm(),
    ), (201 if issued else 200)


@bp.post("/<token_id>/revoke")
@roles(*ALL_ROLES)
def revoke(token_id: str):
    form = RevokeForm()
    token = api_tokens.find_token(token_id)
    if token is None:
        abort(404)
    is_admin = current_user.role == Role.ADMIN
    if token.user_id != current_user.id and not is_admin:
        abort(403)
    if form.validate_on_submit():
        if api_tokens.revoke_token(token):
            flash(f"Token {token.prefix} is revoked; calls with it now fail.", "success")
        else:
            flash(f"Token {token.prefix} was already revoked.", "info")
    else:
        abort(400)
    if token.user_id == current_user.id:
        return redirect(url_for("tokens.index"))
    return redirect(url_for("tokens.applications"))
