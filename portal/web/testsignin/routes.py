"""Starting a test sign-in (customer with a link, or staff) and its callback."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from portal.extensions import db
from portal.models import SignInOutcome
from portal.services.access import throttle
from portal.services.audit import trail
from portal.services.audit.actors import acting_as
from portal.services.selfservice import setup_links as links
from portal.services.selfservice import signin_tests as tests
from portal.services.selfservice.claim_report import claim_report
from portal.services.tenants.records import UnknownTenant, get_tenant
from portal.web.access import STAFF_ROLES, public

bp = Blueprint("testsignin", __name__, url_prefix="/test-sign-in")
WINDOW = 600
STARTS_PER_LINK = 10
STARTS_PER_ADDRESS = 20
CALLBACKS_PER_ADDRESS = 30
CALLBACKS_PER_LINK = 20
SESSION_KEY = "signin_tests"
TITLES = {
    SignInOutcome.SUCCEEDED: "Test sign-in succeeded",
    SignInOutcome.CLAIMS_MISSING: "Test sign-in: signed in, claims missing",
    SignInOutcome.FAILED: "Test sign-in failed",
}


bp.add_app_template_global(claim_report)  # global: the claims macro is imported by three pages


def _agent() -> str | None:
    return (request.user_agent.string or "")[:512] or None


@bp.post("/start")
@public  # the form carries a setup link, or the visitor must be signed-in staff (checked here)
def start():
    address = request.remote_addr or "unknown"
    verdict = throttle.hit(f"testsignin-ip:{address}", STARTS_PER_ADDRESS, WINDOW)
    if not verdict.allowed:
        abort(429)
    token = (request.form.get("link") or "").strip()
    link = None
    if token:
        link = links.resolve(token)
        if not links.is_open(link):
            throttle.hit(f"setup-miss:{address}", 10, WINDOW)
            return render_template("setup/closed.html", vendor=links.vendor_name()), 404
        if not throttle.hit(f"testsignin-link:{link.id}", STARTS_PER_LINK, WINDOW).allowed:
            abort(429)
        tenant = link.tenant
        actor = links.link_actor(link, address, _agent(), g.get("request_id"))
    else:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        if current_user.role not in STAFF_ROLES:
            abort(403)
        try:
            tenant = get_tenant(request.form.get("tenant", ""))
        except UnknownTenant:
            abort(404)
        from portal.web.security import request_actor

        actor = request_actor()
    if request.form.get("tenant") and request.form.get("tenant") != tenant.slug:
        abort(400)
    with acting_as(actor):
        try:
            test, url = tests.start_test(tenant, link, token or None)
        except tests.SignInNotPossible as exc:
            db.session.rollback()
            return render_template(
                "testsignin/result.html",
                title="Test sign-in not possible yet",
                problem=str(exc),
                finished=None,
                back_url=_back_url(tenant, token or None),
                vendor=links.vendor_name(),
            ), 409
    remembered = [i for i in session.get(SESSION_KEY, []) if isinstance(i, int)][-4:]
    session[SESSION_KEY] = [*remembered, test.id]
    # Not a redirect: the page's CSP (form-action 'self') would stop a form post from being
    # redirected to the sign-in service. A refresh from a page of our own is not a form post.
    return render_template(
        "testsignin/redirect.html", url=url, tenant=tenant, vendor=links.vendor_name()
    )


@bp.get("/callback")
@public
def callback():
    address = request.remote_addr or "unknown"
    verdict = throttle.hit(f"testsignin-callback:{address}", CALLBACKS_PER_ADDRESS, WINDOW)
    if not verdict.allowed:
        abort(429)
    test = tests.find_by_state(request.args.get("state"))
    if test is None:
        return _refused(
            "This sign-in test is unknown. Start a new test from the set-up page.", None
        )
    if (
        test.setup_link_id is not None
        and not throttle.hit(
            f"testsignin-callback-link:{test.setup_link_id}", CALLBACKS_PER_LINK, WINDOW
        ).allowed
    ):
        abort(429)
    if test.id not in session.get(SESSION_KEY, []):
        return _refused(
            "This sign-in test was started in another browser. Start it again here.", test
        )
    actor = tests.actor_of(test, address, _agent(), g.get("request_id"))
    if not tests.claim(test):
        with acting_as(actor):
            trail.record("signin_test.replay_refused", test.tenant, test_id=test.id)
            db.session.commit()
        return _refused(
            "This sign-in test has already been completed; its answer cannot be used twice. "
            "Start a new test to try again.",
            test,
        )
    finished = tests.finish_test(
        test,
        code=request.args.get("code"),
        error=request.args.get("error"),
        error_description=request.args.get("error_description"),
        actor=actor,
    )
    return render_template(
        "testsignin/result.html",
        title=TITLES[finished.test.outcome],
        problem=None,
        finished=finished,
        advice=tests.failure_advice(finished.test),
        back_url=_back_url(finished.test.tenant, finished.back_token),
        vendor=links.vendor_name(),
    ), (422 if finished.test.outcome == SignInOutcome.FAILED else 200)


def _refused(message: str, test):
    back = _back_url(test.tenant, None) if test is not None and test.setup_link_id is None else None
    return render_template(
        "testsignin/result.html",
        title="Test sign-in refused",
        problem=message,
        finished=None,
        back_url=back,
        vendor=links.vendor_name(),
    ), 400


def _back_url(tenant, token: str | None) -> str | None:
    """Back to where the test was started: the setup page, or the staff tenant page."""
    if token:
        return url_for("setup.page", token=token, _anchor="test")
    if not current_user.is_authenticated:
        return None
    if "tenants.show" in current_app.view_functions:
        return url_for("tenants.show", slug=tenant.slug)
    return url_for("links.index", slug=tenant.slug)
