"""Sign-in with per-(account, address) delays and throttling, an optional TOTP step, sign-out.

A failed sign-in costs the same and answers the same whether the account exists or not: the
password is checked against a stand-in hash for unknown accounts, the failure is counted and
audited either way, and the delay that follows is per (account, address) for every account.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.extensions import db
from portal.models import utcnow
from portal.services.access import lockout, throttle
from portal.services.access.sessions import end_session, start_session
from portal.services.access.users import check_email, find_user, verify_password_or_decoy
from portal.services.audit import trail
from portal.services.audit.actors import Actor, acting_as
from portal.validation import ValidationError
from portal.web.access import ALL_ROLES, public, roles
from portal.web.auth.forms import LoginForm, LogoutForm, ResetPasswordForm, TotpForm
from portal.web.auth.loader import SESSION_KEY, user_of

bp = Blueprint("auth", __name__)
IP_ATTEMPTS_PER_10_MIN = 30
PENDING_SECONDS = 300  # how long the TOTP step waits for its code after the password
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


def _anonymous_actor() -> Actor:
    return Actor(
        "anonymous",
        None,
        "anonymous visitor",
        request.remote_addr,
        (request.user_agent.string or "")[:512] or None,
        g.get("request_id"),
    )


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"


def _delayed(email: str, template: str, form):
    """The answer while EMAIL must wait at this address, or None; the same for every e-mail."""
    wait = lockout.wait_seconds(email, request.remote_addr)
    if not wait:
        return None
    flash(
        f"Too many failed sign-ins for this account from your address. Try again in "
        f"{_wait_text(wait)}.",
        "error",
    )
    return render_template(template, form=form), 429, {"Retry-After": str(wait)}


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
        email = form.email.data
        delayed = _delayed(email, "auth/login.html", form)
        if delayed is not None:
            return delayed
        user = find_user(email)
        # Always one password check, against a stand-in hash when there is no such user.
        password_ok = verify_password_or_decoy(user, form.password.data)
        if user is None or not user.is_enabled or not password_ok:
            _record_failure(email, user, "password")
            flash(GENERIC_FAILURE, "error")
            return render_template("auth/login.html", form=form), 401
        if user.totp_secret_encrypted:
            session.clear()
            session["pending_user"] = user.get_id()
            session["pending_next"] = safe_next(form.next.data)
            session["pending_at"] = utcnow().timestamp()
            return redirect(url_for("auth.totp"))
        return _complete_login(user, safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


def _record_failure(email: str, user, step: str) -> None:
    """Count and audit a failed step, the same work whether the account exists or not."""
    delay = lockout.record_failure(email, request.remote_addr)
    details: dict[str, object] = {"step": step, "delay_seconds": delay}
    if user is None:
        try:
            details["email"] = check_email(email)
        except ValidationError:
            details["email"] = None  # not an address (perhaps a password typed in the wrong box)
        details["account"] = "unknown"
    with acting_as(_user_actor(user) if user is not None else _anonymous_actor()):
        trail.record("auth.sign_in_failed", **details)
    db.session.commit()


def _complete_login(user, target: str):
    session.clear()  # no session fixation: nothing from before sign-in survives it
    lockout.clear(user.email, request.remote_addr)
    user.last_login_at = utcnow()
    login_user(user)
    session[SESSION_KEY] = start_session(
        user, request.remote_addr, request.user_agent.string or None
    )
    with acting_as(_user_actor(user)):
        trail.record("auth.signed_in")
    db.session.commit()
    return redirect(target)


@bp.route("/login/totp", methods=["GET", "POST"])
@public
def totp():
    from portal.services.access.totp import verify_user_code

    pending = session.get("pending_user")
    started = session.get("pending_at", 0)
    user = user_of(pending)
    if user is None or utcnow().timestamp() - started > PENDING_SECONDS:
        session.clear()
        flash("Sign in again.", "error")
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        delayed = _delayed(user.email, "auth/totp.html", form)
        if delayed is not None:
            return delayed
        verdict = throttle.hit(f"totp:{user.id}", 10, 600)
        if verdict.allowed and verify_user_code(user, form.code.data):
            return _complete_login(user, session.get("pending_next") or url_for("main.home"))
        _record_failure(user.email, user, "totp")
        flash(
            "That code is not right, or it was used already: wait for the next one. Check "
            "your authenticator app's clock.",
            "error",
        )
        return render_template("auth/totp.html", form=form), 401
    return render_template("auth/totp.html", form=form)


@bp.post("/logout")
@roles(*ALL_ROLES)
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        end_session(session.get(SESSION_KEY))  # this browser only: the user's others go on
        with acting_as(_user_actor(current_user)):
            trail.record("auth.signed_out")
        db.session.commit()
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


RESET_MISSES_PER_10_MIN = 10  # unknown reset tokens from one address: guessing is pointless


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """An admin-issued link: set a new password once, then sign in as usual (TOTP included)."""
    from portal.services.access import password_resets

    link = password_resets.find(token)
    if link is None:
        verdict = throttle.hit(f"reset-miss:{request.remote_addr}", RESET_MISSES_PER_10_MIN, 600)
        status = 404 if verdict.allowed else 429
        return render_template("auth/reset_closed.html", reason=None), status
    if link.state() != "active":
        return render_template("auth/reset_closed.html", reason=password_resets.explain(link)), 410
    user = link.user
    form = ResetPasswordForm()
    needs_code = bool(user.totp_secret_encrypted)
    if form.validate_on_submit():
        actor = Actor(
            "user",
            str(user.id),
            f"{user.email} (reset link)",
            request.remote_addr,
            (request.user_agent.string or "")[:512] or None,
            g.get("request_id"),
        )
        try:
            with acting_as(actor):
                password_resets.use(link, form.password.data, form.code.data)
        except password_resets.LinkUnusable as closed:
            return render_template("auth/reset_closed.html", reason=closed.message), 410
        except ValidationError as error:
            db.session.rollback()
            target = form.code if error.field == "code" else form.password
            target.errors = [*target.errors, error.message[:1].upper() + error.message[1:] + "."]
            return render_template(
                "auth/reset.html", form=form, user=user, link=link, needs_code=needs_code
            ), 422
        if current_user.is_authenticated:
            logout_user()
        session.clear()
        flash("Your new password is set. Sign in with it.", "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "auth/reset.html", form=form, user=user, link=link, needs_code=needs_code
    ), status
