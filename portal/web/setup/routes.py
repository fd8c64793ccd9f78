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
from portal.config import current_settings
from portal.extensions import db
from portal.models import LinkState, SetupLink, TenantStatus
from portal.oidc.ssrf import FetchFailed, FetchRefused
from portal.saml.presets import PRESETS, presets_json
from portal.services.access import throttle
from portal.services.audit.actors import acting_as
from portal.services.domains import claims as domain_claims
from portal.services.domains import verification
from portal.services.engine.progress import token as progress_token
from portal.services.engine.progress import wait_for_change
from portal.services.engine.queue import latest_run
from portal.services.pools.registry import NoPoolHasRoom
from portal.services.selfservice import setup_links as links
from portal.services.selfservice.signin_tests import can_test, latest_test
from portal.services.selfservice.signin_tests import failure_advice as test_advice
from portal.services.tenants.handover import hosted_urls, saml_certificates
from portal.validation import ValidationError
from portal.web.access import public
from portal.web.setup.forms import IdpForm, SamlIdpForm

bp = Blueprint("setup", __name__, url_prefix="/setup")
WINDOW = 600  # seconds
PAGE_LIMIT_PER_ADDRESS = 600  # a long poll answers per change of the run, or once per hold
PAGE_LIMIT_PER_LINK = 600
MISS_LIMIT_PER_ADDRESS = 10  # unknown, expired or revoked tokens: guessing is pointless
SUBMIT_LIMIT_PER_LINK = 10
SUBMIT_LIMIT_PER_ADDRESS = 20
CHECK_LIMIT_PER_LINK = 20  # "check now" presses: each is one DNS lookup per unverified domain
GUIDES = (
    ("okta", "Okta"),
    ("entra", "Microsoft Entra ID"),
    ("google", "Google Workspace"),
    ("auth0", "Auth0"),
    ("keycloak", "Keycloak"),
    ("generic", "Another OpenID Connect provider"),
)
SAML_PRESETS_JSON = presets_json()
SAML_GUIDE_KEYS = frozenset(f"saml-{p.key}" for p in PRESETS)
MAX_UPLOAD = 131_072 * 4 + 1  # the checker refuses more than Cognito's 131,072 characters
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


def _closed(link: SetupLink | None):
    """Why the link does not work: expired or replaced (410, with when and whom to ask), or
    unknown (404). Nothing names the tenant: a wrong token learns nothing about anyone."""
    reason = links.closed_reason(link)
    return render_template(
        "setup/closed.html",
        vendor=links.vendor_name(),
        contact=current_settings().vendor_contact,
        throttled=False,
        reason=reason,
        link=link,
    ), (404 if reason == "unknown" else 410)


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
            return _closed(link)
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
            "groups_claim": tenant.groups_claim,
            "roles_claim": tenant.roles_claim or "",
            "domains": "\n".join(d.domain for d in tenant.domains),
        }
    )


def _saml_prefilled(tenant) -> SamlIdpForm:
    data = {"metadata_url": tenant.saml_metadata_url or ""}
    if tenant.is_saml:
        data.update(
            email_attribute=tenant.email_attribute,
            groups_attribute=tenant.groups_claim,
            roles_attribute=tenant.roles_claim or "",
        )
    return SamlIdpForm(formdata=None, data=data)


def _context(
    link: SetupLink,
    token: str,
    form: IdpForm | None = None,
    saml_form: SamlIdpForm | None = None,
) -> dict:
    tenant = link.tenant
    run = latest_run(tenant)
    own_test = latest_test(tenant, link)
    accepting = links.accepts_submissions(link)
    polling = tenant.status in (TenantStatus.QUEUED, TenantStatus.PROVISIONING)
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
        "saml_guides": [(p.key, p.label) for p in PRESETS],
        "saml_form": saml_form if saml_form is not None else _saml_prefilled(tenant),
        "saml_presets_json": SAML_PRESETS_JSON,
        "saml_certs": None,
        "show_saml": tenant.is_saml or request.args.get("type") == "saml" or saml_form is not None,
        "open_guide": guide if guide in dict(GUIDES) or guide in SAML_GUIDE_KEYS else "",
        "test": own_test,
        "test_advice": test_advice(own_test) if own_test else None,
        "can_test": can_test(tenant),
        "polling": polling,
        # What the progress region shows: its next request is held until this changes.
        "since": progress_token(tenant.status, run) if polling else None,
        "used": link.state() == LinkState.USED,
        "expires": links.expires_label(link.expires_at),
        "txt_name": domain_claims.txt_name,
        "domain_token": tenant.domain_token,
    }


@bp.get("/<token>")
@public
@link_view
def page(link: SetupLink, token: str):
    links.mark_opened(link)
    if links.accepts_submissions(link) and link.tenant.pool is None:
        links.ensure_placed(link)
    context = _context(link, token)
    if context["accepting"] and link.tenant.is_saml and link.tenant.pool is not None:
        try:  # Cognito's certificates, read only for the options that need them
            context["saml_certs"] = saml_certificates(link.tenant)
        except CognitoError:
            current_app.logger.warning("setup link %s: SAML certificates unavailable", link.id)
    return render_template("setup/page.html", **context)


@bp.get("/<token>/status")
@public
@link_view
def status(link: SetupLink, token: str):
    """The progress region alone; with ?since=TOKEN held until the run moves (a long poll)."""
    since = request.args.get("since", "")
    if since:
        wait_for_change(link.tenant_id, since)
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


@bp.post("/<token>/domains/check")
@public
@link_view
def check_domains(link: SetupLink, token: str):
    """Look for the TXT records now, rather than waiting for the next beat check (CSRF: global)."""
    verdict = throttle.hit(f"setup-dns-link:{link.id}", CHECK_LIMIT_PER_LINK, WINDOW)
    if not verdict.allowed:
        return _too_many(verdict.retry_after)
    try:
        verified = verification.check_tenant(link.tenant)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("setup.page", token=token, _anchor="domains"))
    waiting = [d.domain for d in link.tenant.domains if d.state != "verified"]
    if verified:
        flash(f"Verified: {', '.join(d.domain for d in verified)}.", "success")
    if waiting:
        flash(
            f"Not verified yet: {', '.join(waiting)}. DNS changes can take a while to show; "
            "the table says what was found.",
            "warning",
        )
    return redirect(url_for("setup.page", token=token, _anchor="domains"))


@bp.post("/<token>/saml")
@public
@link_view
def submit_saml(link: SetupLink, token: str):
    """The SAML form: metadata URL or file and attribute names, checked before anything else."""
    form = SamlIdpForm()
    if not links.accepts_submissions(link):
        flash(links._closed_reason(link), "error")
        return render_template("setup/page.html", **_context(link, token)), 409
    verdict = throttle.hit(f"setup-submit-link:{link.id}", SUBMIT_LIMIT_PER_LINK, WINDOW)
    if not verdict.allowed:
        flash("Too many attempts in a short time; wait a few minutes, then submit again.", "error")
        return render_template("setup/page.html", **_context(link, token, saml_form=form)), 429
    if not form.validate_on_submit():
        return render_template("setup/page.html", **_context(link, token, saml_form=form)), 422
    upload = form.metadata_file.data
    entry = links.SamlSubmission(
        preset=form.preset.data or "generic",
        metadata_url=form.metadata_url.data or "",
        metadata_file=upload.read(MAX_UPLOAD) if upload and upload.filename else None,
        email_attribute=form.email_attribute.data or "",
        groups_attribute=form.groups_attribute.data or "",
        roles_attribute=form.roles_attribute.data or "",
    )
    try:
        check = links.submit_saml(link, entry)
    except ValidationError as exc:
        db.session.rollback()
        target = getattr(form, exc.field, None) or form.metadata_url
        target.errors = [*target.errors, exc.message]
        return render_template("setup/page.html", **_context(link, token, saml_form=form)), 422
    except links.LinkClosed as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("setup/page.html", **_context(link, token)), 409
    except (NoPoolHasRoom, CognitoError):
        db.session.rollback()
        current_app.logger.exception("setup link %s: SAML submission failed", link.id)
        flash("The settings could not be saved just now. Try again in a minute.", "error")
        return render_template("setup/page.html", **_context(link, token, saml_form=form)), 503
    if not check.ok:
        for finding in check.errors:
            name = "metadata_url" if finding.field == "metadata_file" else finding.field
            target = getattr(form, name, None) or form.metadata_url
            target.errors = [*target.errors, finding.message]
        return render_template("setup/page.html", **_context(link, token, saml_form=form)), 422
    for finding in check.warnings:
        flash(f"Metadata: {finding.message}", "warning")
    flash("Your metadata passed the checks. The connection is being set up now.", "success")
    return redirect(url_for("setup.page", token=token, _anchor="progress"))


def _field(form: IdpForm, name: str):
    """The form field an error is about (the issuer when it concerns the provider as a whole)."""
    aliases = {"identifiers": "domains", "idp": "issuer", "scopes": "issuer"}
    name = aliases.get(name, name)
    return getattr(form, name) if name in FORM_FIELDS else form.issuer


def _label(form: IdpForm, name: str) -> str:
    return str(_field(form, name).label.text)
