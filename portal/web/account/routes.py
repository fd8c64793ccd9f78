"""My account: password, TOTP (enrolment first when mandatory), and my signed-in sessions."""

from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.config import current_settings
from portal.services.access import accounts
from portal.services.access.portal_settings import totp_required
from portal.services.access.sessions import Reason, is_current, live_sessions
from portal.validation import ValidationError
from portal.web.access import ALL_ROLES, PUBLIC, roles, rule_of
from portal.web.account.forms import (
    ConfirmTotpForm,
    DisableTotpForm,
    EndSessionsForm,
    PasswordForm,
    StartTotpForm,
)
from portal.web.auth.loader import SESSION_KEY

bp = Blueprint("account", __name__, url_prefix="/account")
PENDING = "totp_pending"
ALWAYS_ALLOWED = ("auth.logout",)


@bp.before_app_request
def enrol_first():
    """With TOTP mandatory, a signed-in user without it reaches only the enrolment page."""
    endpoint = request.endpoint
    if endpoint in (None, "static") or not current_user.is_authenticated:
        return None
    if endpoint.startswith("account.") or endpoint in ALWAYS_ALLOWED:
        return None
    rule = rule_of(endpoint)
    if rule is None or PUBLIC in rule or current_user.totp_secret_encrypted:
        return None
    if not totp_required():
        return None
    flash("An administrator requires two-factor authentication: set it up to continue.", "warning")
    return redirect(url_for("account.index"))


def _page(password_form=None, confirm_form=None, disable_form=None, code=200):
    pending = session.get(PENDING)
    enrolment = None
    if pending and not current_user.totp_secret_encrypted:
        secret = accounts.unseal(pending)
        uri = accounts.totp_uri(current_user, secret)
        enrolment = {
            "secret": secret,
            "uri": uri,
            "qr": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
        }
    return render_template(
        "account/index.html",
        password_form=password_form or PasswordForm(formdata=None),
        start_form=StartTotpForm(formdata=None),
        confirm_form=confirm_form or ConfirmTotpForm(formdata=None),
        disable_form=disable_form or DisableTotpForm(formdata=None),
        enrolment=enrolment,
        required=totp_required(),
        sessions=[
            (record, is_current(record, session.get(SESSION_KEY)))
            for record in live_sessions(current_user._get_current_object())
        ],
        end_form=EndSessionsForm(formdata=None),
        idle_minutes=current_settings().session_idle_minutes,
        max_hours=current_settings().session_max_hours,
    ), code


@bp.get("")
@roles(*ALL_ROLES)
def index():
    return _page()


@bp.post("/password")
@roles(*ALL_ROLES)
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
                keep_session=session.get(SESSION_KEY),
            )
        except ValidationError as error:
            target = getattr(form, error.field, form.new_password)
            target.errors = [*target.errors, error.message]
        else:
            login_user(current_user._get_current_object())  # this session carries the new version
            flash("Password changed. Your other sessions have ended.", "success")
            return redirect(url_for("account.index"))
    return _page(password_form=form, code=400)


@bp.post("/totp/start")
@roles(*ALL_ROLES)
def totp_start():
    if StartTotpForm().validate_on_submit() and not current_user.totp_secret_encrypted:
        session[PENDING] = accounts.seal(accounts.new_totp_secret())
    return redirect(url_for("account.index", _anchor="totp"))


@bp.post("/totp/confirm")
@roles(*ALL_ROLES)
def totp_confirm():
    form = ConfirmTotpForm()
    pending = session.get(PENDING)
    if not pending:
        flash("Start the set-up again.", "error")
        return redirect(url_for("account.index"))
    if form.validate_on_submit():
        try:
            accounts.enable_totp(
                current_user._get_current_object(), accounts.unseal(pending), form.code.data
            )
        except ValidationError as error:
            form.code.errors = [*form.code.errors, error.message]
        else:
            session.pop(PENDING, None)
            flash("Two-factor authentication is on. Sign-in now asks for a code.", "success")
            return redirect(url_for("account.index"))
    return _page(confirm_form=form, code=400)


@bp.post("/totp/disable")
@roles(*ALL_ROLES)
def totp_disable():
    form = DisableTotpForm()
    if totp_required():
        flash(
            "An administrator requires two-factor authentication; it cannot be turned off.", "error"
        )
        return redirect(url_for("account.index"))
    if form.validate_on_submit():
        try:
            accounts.disable_totp(current_user._get_current_object(), form.code.data)
        except ValidationError as error:
            form.code.errors = [*form.code.errors, error.message]
        else:
            flash("Two-factor authentication is off.", "success")
            return redirect(url_for("account.index"))
    return _page(disable_form=form, code=400)


@bp.post("/sessions/end-all")
@roles(*ALL_ROLES)
def end_all_sessions():
    """Sign out everywhere: every browser of mine, this one included."""
    if not EndSessionsForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("account.index", _anchor="sessions"))
    accounts.end_sessions(current_user._get_current_object(), Reason.SIGNED_OUT_EVERYWHERE)
    logout_user()
    session.clear()
    flash("You are signed out everywhere.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/sessions/<int:session_id>/end")
@roles(*ALL_ROLES)
def end_one_session(session_id: int):
    """End one of my other sessions (a browser left signed in elsewhere)."""
    form = EndSessionsForm()
    if form.validate_on_submit() and accounts.end_one_session(
        current_user._get_current_object(), session_id
    ):
        flash("That session has ended.", "success")
    return redirect(url_for("account.index", _anchor="sessions"))
