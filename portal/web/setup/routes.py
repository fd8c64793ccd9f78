"""/setup/<token>: the customer's guide, IdP form, progress and test sign-in."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from portal.cognito.errors import CognitoError
from portal.extensions import db
from portal.models import LinkState, SetupLink, TenantStatus
from portal.oidc.ssrf import FetchFailed, FetchRefused
from portal.services.access import throttle
from portal.services.audit.actors import acting_as
from portal.services.engine.queue import latest_run
from portal.services.pools.registry import NoPoolHasRoom
from portal.services.selfservice import setup_links as links
from portal.services.selfservice.signin_tests import can_test, latest_test
from portal.services.selfservice.signin_tests import failure_advice as test_advice
from portal.services.tenants.handover import hosted_urls
from portal.validation import ValidationError
from portal.web.access import public
from portal.web.setup.forms import IdpForm

bp = Blueprint("setup", __name__, url_prefix="/setup")
WINDOW = 600  # seconds
PAGE_LIMIT_PER_ADDRESS = 600  # polling every 2 s from one tab is 300 per window
PAGE_LIMIT_PER_LINK = 600
MISS_LIMIT_PER_ADDRESS = 10  # unknown, expired or revoked tokens: guessing is pointless
SUBMIT_LIMIT_PER_LINK = 10
SUBMIT_LIMIT_PER_ADDRESS = 20
GUIDES = (
    ("okta", "Okta"),
    ("entra", "Microsoft Entra ID"),
    ("google", "Google Workspace"),
    ("auth0", "Auth0"),
    ("keycloak", "Keycloak"),
    ("generic", "Another OpenID Connect provider"),
)
FORM_FIELDS = ("issuer", "client_id", "client_secret", "groups_claim", "roles_claim", "domains")


def _too_many(retry_after: int):
    response = current_app.make_response(
        (
            render_template(
                "setup/closed.html",
                vendor=links.vendor_name(),
                title="Too many requests",
                throttled=True,
                minutes=max(1, retry_after // 60),
            ),
            429,
        )
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _closed():
    """One page, one status for unknown, expired and revoked links: nothing to tell apart."""
    return render_template("setup/closed.html", vendor=links.vendor_name(), throttled=False), 404


def link_view(view: Callable) -> Callable:
    """Resolve the link (throttled per address and per link) and act as it for the request."""

    @functools.wraps(view)
    def wrapper(token: str, **kwargs):
        address = request.remote_addr or "unknown"
        misses = f"setup-miss:{address}"
        if throttle.count(misses) >= MISS_LIMIT_PER_ADDRESS:
            return _too_many(WINDOW)
        verdict = throttle.hit(f"setup-ip:{address}", PAGE_LIMIT_PER_ADDRESS, WINDOW)
        if not verdict.allowed:
            return _too_many(verdict.retry_after)
        link = links.resolve(token)
        if not links.is_open(link):
            throttle.hit(misses, MISS_LIMIT_PER_ADDRESS, WINDOW)
            return _closed()
        verdict = throttle.hit(f"setup-link:{link.id}", PAGE_LIMIT_PER_LINK, WINDOW)
        if not verdict.allowed:
            return _too_many(verdict.retry_after)
        agent = (request.user_agent.string or "")[:512] or None
        with acting_as(links.link_actor(link, address, agent, g.get("request_id"))):
            return view(link, token, **kwargs)

    return wrapper


def _prefilled(link: SetupLink) -> IdpForm:
    tenant = link.tenant
    return IdpForm(
        data={
            "issuer": tenant.issuer or "",
            "client_id": tenant.idp_client_id or "",
            "groups_claim": tenant.groups_claim or "groups",
            "roles_claim": tenant.roles_claim or "",
            "domains": "\n".join(tenant.idp_identifiers or []),
        }
    )


def _context(link: SetupLink, token: str, form: IdpForm | None = None) -> dict:
    tenant = link.tenant
    run = latest_run(tenant)
    own_test = latest_test(tenant, link)
    accepting = links.accepts_submissions(link)
    guide = request.args.get("guide", "")
    return {
        "link": link,
        "token": token,
        "tenant": tenant,
        "vendor": links.vendor_name(),
        "urls": hosted_urls(tenant),
        "run": run,
        "step_labels": links.STEP_LABELS,
        "advice": links.failure_advice(tenant, run),
        "accepting": accepting,
        "form": form if form is not None else (_prefilled(link) if accepting else None),
        "has_stored_secret": tenant.idp_client_secret_encrypted is not None
        or tenant.idp_secret_in_cognito,
        "guides": GUIDES,
        "open_guide": guide if guide in dict(GUIDES) else "",
        "test": own_test,
        "test_advice": test_advice(own_test) if own_test else None,
        "can_test": can_test(tenant),
        "polling": tenant.status in (TenantStatus.QUEUED, TenantStatus.PROVISIONING),
        "used": link.state() == LinkState.USED,
        "expires": links.expires_label(link.expires_at),
    }


@bp.get("/<token>")
@public
@link_view
def page(link: SetupLink, token: str):
    links.mark_opened(link)
    if links.accepts_submissions(link) and link.tenant.pool is None:
        links.ensure_placed(link)
    return render_template("setup/page.html", **_context(link, token))


@bp.get("/<token>/status")
@public
@link_view
def status(link: SetupLink, token: str):
    """The progress region alone, for data-poll."""
    return render_template("setup/_progress.html", **_context(link, token))


@bp.post("/<token>")
@public
@link_view
def submit(link: SetupLink, token: str):
    form = IdpForm()
    if not links.accepts_submissions(link):
        flash(links._closed_reason(link), "error")
        return render_template("setup/page.html", **_context(link, token)), 409
    address = request.remote_addr or "unknown"
    for key, limit in (
        (f"setup-submit-link:{link.id}", SUBMIT_LIMIT_PER_LINK),
        (f"setup-submit-ip:{address}", SUBMIT_LIMIT_PER_ADDRESS),
    ):
        verdict = throttle.hit(key, limit, WINDOW)
        if not verdict.allowed:
            flash(
                "Too many attempts in a short time. Wait "
                f"{max(1, verdict.retry_after // 60)} minutes, then submit again.",
                "error",
            )
            return render_template("setup/page.html", **_context(link, token, form)), 429
    if not form.validate_on_submit():
        return render_template("setup/page.html", **_context(link, token, form)), 422
    entry = links.Submission(
        issuer=form.issuer.data or "",
        client_id=form.client_id.data or "",
        client_secret=form.client_secret.data or "",
        groups_claim=form.groups_claim.data or "",
        roles_claim=form.roles_claim.data or "",
        domains=form.domains.data or "",
    )
    try:
        check = links.submit(link, entry)
    except ValidationError as exc:
        db.session.rollback()
        _field(form, exc.field).errors.append(exc.message)
        return render_template("setup/page.html", **_context(link, token, form)), 422
    except links.LinkClosed as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("setup/page.html", **_context(link, token)), 409
    except NoPoolHasRoom:
        db.session.rollback()
        flash(
            f"Your settings passed the checks and are saved, but {links.vendor_name()} cannot "
            "connect them yet. Let your contact there know; nothing more is needed from you.",
            "warning",
        )
        return redirect(url_for("setup.page", token=token))
    except (FetchFailed, FetchRefused, CognitoError):
        db.session.rollback()
        current_app.logger.exception("setup link %s: submission failed", link.id)
        flash("The settings could not be saved just now. Try again in a minute.", "error")
        return render_template("setup/page.html", **_context(link, token, form)), 503
    if not check.ok:
        for finding in check.errors:
            _field(form, finding.field).errors.append(finding.message)
        return render_template("setup/page.html", **_context(link, token, form)), 422
    for finding in check.warnings:
        flash(f"{_label(form, finding.field)}: {finding.message}", "warning")
    flash("Your settings passed the checks. The connection is being set up now.", "success")
    return redirect(url_for("setup.page", token=token, _anchor="progress"))


def _field(form: IdpForm, name: str):
    """The form field an error is about (the issuer when it concerns the provider as a whole)."""
    aliases = {"identifiers": "domains", "idp": "issuer", "scopes": "issuer"}
    name = aliases.get(name, name)
    return getattr(form, name) if name in FORM_FIELDS else form.issuer


def _label(form: IdpForm, name: str) -> str:
    return str(_field(form, name).label.text)
