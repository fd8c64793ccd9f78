"""/tenants/<slug>/setup-links: each link's state; create (URL shown once), send, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SubmitField
from wtforms.validators import Length, Optional

from portal.crypto import SecretUnreadable, decrypt, encrypt
from portal.extensions import db
from portal.models import SetupLink, Tenant
from portal.services.mail import MailFailed, smtp_configured
from portal.services.selfservice import setup_links as links
from portal.services.selfservice.signin_tests import can_test
from portal.services.tenants.records import UnknownTenant, get_tenant
from portal.validation import ValidationError
from portal.web.access import STAFF_ROLES, roles

bp = Blueprint("links", __name__)
NEW_LINK_KEY = "new_setup_link"
LIFETIMES = [
    ("1d", "1 day"),
    ("3d", "3 days"),
    ("7d", "7 days (default)"),
    ("14d", "14 days"),
    ("30d", "30 days"),
]


class CreateLinkForm(FlaskForm):
    expires = SelectField("The link works for", choices=LIFETIMES, default="7d")
    send_to = EmailField(
        "E-mail it to (optional)",
        validators=[Optional(), Length(max=254)],
    )
    submit = SubmitField("Create setup link")


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


def _tenant(slug: str) -> Tenant:
    try:
        return get_tenant(slug)
    except UnknownTenant:
        abort(404)


def _page(tenant: Tenant, form: CreateLinkForm, new_url: str | None = None, status: int = 200):
    from portal.models import SignInTest

    all_links = links.links_of(tenant)
    recent_tests = (
        db.session.query(SignInTest)
        .filter(SignInTest.tenant_id == tenant.id)
        .order_by(SignInTest.id.desc())
        .limit(5)
        .all()
    )
    return render_template(
        "links/index.html",
        tenant=tenant,
        links=all_links,
        current=links.current_link(tenant),
        form=form,
        revoke_form=RevokeForm(),
        new_url=new_url,
        smtp=smtp_configured(),
        tests=recent_tests,
        can_test=can_test(tenant),
        vendor=links.vendor_name(),
        tenant_page=url_for("tenants.show", slug=tenant.slug)
        if "tenants.show" in current_app.view_functions
        else None,
    ), status


@bp.get("/tenants/<slug>/setup-links")
@roles(*STAFF_ROLES)
def index(slug: str):
    tenant = _tenant(slug)
    form = CreateLinkForm(send_to=tenant.contact_email or None)
    return _page(tenant, form, _pop_new_url(tenant))


def _pop_new_url(tenant: Tenant) -> str | None:
    """The URL of a link just created, shown once: kept encrypted in the session until then."""
    kept = session.pop(NEW_LINK_KEY, None)
    if not isinstance(kept, dict) or kept.get("tenant") != tenant.id:
        return None
    try:
        return links.link_url(decrypt(kept["token"].encode("ascii")))
    except (SecretUnreadable, KeyError, AttributeError):
        return None


@bp.post("/tenants/<slug>/setup-links")
@roles(*STAFF_ROLES)
def create(slug: str):
    tenant = _tenant(slug)
    form = CreateLinkForm()
    if not form.validate_on_submit():
        return _page(tenant, form, status=422)
    try:
        if form.send_to.data:
            form.send_to.data = links.check_email(form.send_to.data)
        lifetime = links.parse_duration(form.expires.data or "7d")
        link, token, replaced = links.create_link(tenant, lifetime)
    except ValidationError as exc:
        db.session.rollback()
        target = form.send_to if exc.field == "send_to" else form.expires
        target.errors = [*target.errors, exc.message]
        return _page(tenant, form, status=422)
    session[NEW_LINK_KEY] = {"tenant": tenant.id, "token": encrypt(token).decode("ascii")}
    if replaced is not None:
        flash("The previous link no longer works: this one replaces it.", "info")
    if form.send_to.data:
        _send(link, token, form.send_to.data)
    return redirect(url_for("links.index", slug=tenant.slug))


def _send(link: SetupLink, token: str, to: str) -> None:
    if not smtp_configured():
        flash("E-mail is not configured: copy the link and send it yourself.", "warning")
        return
    try:
        links.send_link(link, token, to)
    except (MailFailed, ValidationError) as exc:
        db.session.rollback()
        current_app.logger.warning("setup link %s not sent: %s", link.id, exc)
        message = exc.message if isinstance(exc, ValidationError) else str(exc)
        flash(f"The link was created but not sent: {message}. Copy it instead.", "error")
        return
    flash(f"The link was sent to {to}.", "success")


@bp.post("/tenants/<slug>/setup-links/<int:link_id>/revoke")
@roles(*STAFF_ROLES)
def revoke(slug: str, link_id: int):
    tenant = _tenant(slug)
    link = db.session.get(SetupLink, link_id)
    if link is None or link.tenant_id != tenant.id:
        abort(404)
    if RevokeForm().validate_on_submit() and links.revoke_link(link, "revoked by staff"):
        flash("The link is revoked: it no longer opens anything.", "success")
    return redirect(url_for("links.index", slug=tenant.slug))
