"""Sign-in with lockout and throttling, an optional TOTP step, and sign-out."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.extensions import db
from portal.models import utcnow
from portal.services.access import throttle
from portal.services.access.users import find_user, verify_password
from portal.services.audit import trail
from portal.services.audit.actors import Actor, acting_as
from portal.web.access import ALL_ROLES, public, roles
from portal.web.auth.forms import LoginForm, LogoutForm, TotpForm

bp = Blueprint("auth", __name__)
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
IP_ATTEMPTS_PER_10_MIN = 30
GENERIC_FAILURE = "The e-mail address or password is not right."


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return url_for("main.home")
    return target


def _user_actor(user) -> Actor:
    return Actor(
        "user",
        str(user.id),
        user.email,
        request.remote_addr,
        (request.user_agent.string or "")[:512] or None,
        g.get("request_id"),
    )


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        verdict = throttle.hit(f"login-ip:{request.remote_addr}", IP_ATTEMPTS_PER_10_MIN, 600)
        if not verdict.allowed:
            flash(
                f"Too many sign-in attempts from your address. Try again in "
                f"{max(1, verdict.retry_after // 60)} minutes.",
                "error",
            )
            return render_template("auth/login.html", form=form), 429
        user = find_user(form.email.data)
        now = utcnow()
        if user is not None and user.locked_until and user.locked_until > now:
            flash(
                "This account is locked after repeated failed sign-ins. Try again later or "
                "ask an administrator to unlock it.",
                "error",
            )
            return render_template("auth/login.html", form=form), 429
        if user is None or not user.is_enabled or not verify_password(user, form.password.data):
            if user is not None:
                _record_failure(user)
            flash(GENERIC_FAILURE, "error")
            return render_template("auth/login.html", form=form), 401
        if user.totp_secret_encrypted:
            session.clear()
            session["pending_user"] = user.get_id()
            session["pending_next"] = safe_next(form.next.data)
            session["pending_at"] = now.timestamp()
            return redirect(url_for("auth.totp"))
        return _complete_login(user, safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


def _record_failure(user) -> None:
    user.failed_logins += 1
    locked = user.failed_logins >= MAX_FAILURES
    if locked:
        user.locked_until = utcnow() + LOCKOUT
    with acting_as(_user_actor(user)):
        trail.record("auth.sign_in_failed", failed_attempts=user.failed_logins, locked=locked)
    db.session.commit()


def _complete_login(user, target: str):
    session.clear()  # no session fixation: nothing from before sign-in survives it
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, utcnow()
    login_user(user)
    with acting_as(_user_actor(user)):
        trail.record("auth.signed_in")
    db.session.commit()
    return redirect(target)


@bp.route("/login/totp", methods=["GET", "POST"])
@public
def totp():
    from portal.services.access.totp import verify_user_code
    from portal.web.auth.loader import load_user

    pending = session.get("pending_user")
    started = session.get("pending_at", 0)
    if not pending or utcnow().timestamp() - started > 300:
        session.clear()
        flash("Sign in again.", "error")
        return redirect(url_for("auth.login"))
    user = load_user(pending)
    form = TotpForm()
    if user is not None and form.validate_on_submit():
        verdict = throttle.hit(f"totp:{user.id}", 10, 600)
        if verdict.allowed and verify_user_code(user, form.code.data):
            return _complete_login(user, session.get("pending_next") or url_for("main.home"))
        _record_failure(user)
        flash("That code is not right; check your authenticator app's clock.", "error")
        return render_template("auth/totp.html", form=form), 401
    return render_template("auth/totp.html", form=form)


@bp.post("/logout")
@roles(*ALL_ROLES)
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        with acting_as(_user_actor(current_user)):
            trail.record("auth.signed_out")
        db.session.commit()
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
