"""Wizard pages: app client, attributes, external provider, attach, managed login, review."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from portal.extensions import db
from portal.models import Tenant, TenantStatus, WizardDraft
from portal.oidc.discovery import IssuerCheck
from portal.saml.metadata import MAX_METADATA_CHARS
from portal.saml.presets import preset, presets_json
from portal.services.engine.desired import test_callback_url
from portal.services.pools.registry import NoPoolHasRoom, list_usage, usage
from portal.services.tenants import drafts
from portal.services.tenants.handover import hosted_urls
from portal.services.tenants.records import UnknownTenant, get_tenant, preflight, saml_preflight
from portal.validation import ValidationError, suggest_slug
from portal.web.access import STAFF_ROLES, roles
from portal.web.wizard.forms import (
    RESERVED_SLUGS,
    AppClientForm,
    AttributesForm,
    ConfirmForm,
    ProviderForm,
    ReviewForm,
    SamlProviderForm,
    lines,
)

bp = Blueprint("wizard", __name__, url_prefix="/tenants")
MAX_METADATA_UPLOAD = MAX_METADATA_CHARS * 4 + 1  # the checker refuses the excess with a reason
# (number, endpoint, title) of each page, in the order Cognito needs the steps.
PAGES = [
    (1, "wizard.app_client", "App client"),
    (2, "wizard.attributes", "Attributes"),
    (3, "wizard.provider", "External provider"),
    (4, "wizard.attach", "Attach"),
    (5, "wizard.managed_login", "Managed login"),
    (6, "wizard.review", "Review"),
]


def wizard_step(number: int) -> Callable:
    """Load the draft tenant; send the user to the first unfinished step if they skip ahead."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(slug: str):
            try:
                tenant = get_tenant(slug)
            except UnknownTenant:
                abort(404)
            draft = db.session.get(WizardDraft, tenant.id)
            if tenant.status != TenantStatus.DRAFT or (draft and draft.submitted_at):
                flash(f"{tenant.name} has left the wizard; this is its page now.", "info")
                return redirect(url_for("tenants.show", slug=tenant.slug))
            done = draft.completed if draft else 0
            if number > done + 1:
                return redirect(url_for(PAGES[done][1], slug=tenant.slug))
            return view(tenant, draft)

        return wrapper

    return decorate


def render_step(template: str, number: int, tenant: Tenant | None, draft, **context):
    return render_template(
        template,
        pages=PAGES,
        number=number,
        tenant=tenant,
        draft=draft,
        done=draft.completed if draft else 0,
        **context,
    )


def next_page(number: int, tenant: Tenant):
    return redirect(url_for(PAGES[number][1], slug=tenant.slug))


@bp.route("/new", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
def start():
    """Step 1 for a new tenant; it becomes a draft as soon as this page validates."""
    form = AppClientForm()
    if form.validate_on_submit():
        slug = form.slug.data or suggest_slug(form.name.data)
        try:
            tenant = drafts.start(
                form.name.data, slug, lines(form.callback_urls.data), lines(form.logout_urls.data)
            )
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(
                f"Draft saved: {tenant.name}. Close the tab at any time; it resumes here.",
                "success",
            )
            return next_page(1, tenant)
    return render_step(
        "wizard/app_client.html", 1, None, None, form=form, open_drafts=drafts.open_drafts()
    )


@bp.get("/new/slug")
@roles(*STAFF_ROLES)
def suggest():
    """The slug suggested for a display name, and whether it is free (for the wizard's JS)."""
    name = request.args.get("name", "")[:128]
    slug = suggest_slug(name) if name.strip() else ""
    taken = bool(slug) and (
        slug in RESERVED_SLUGS
        or db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None
    )
    return jsonify(slug=slug, available=bool(slug) and not taken)


@bp.get("/<slug>/wizard")
@roles(*STAFF_ROLES)
@wizard_step(1)
def resume(tenant: Tenant, draft: WizardDraft | None):
    done = draft.completed if draft else 0
    return redirect(url_for(PAGES[min(done, 5)][1], slug=tenant.slug))


@bp.route("/<slug>/wizard/app-client", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
@wizard_step(1)
def app_client(tenant: Tenant, draft: WizardDraft | None):
    form = AppClientForm()
    if request.method == "GET":
        form.name.data, form.slug.data = tenant.name, tenant.slug
        form.callback_urls.data = "\n".join(tenant.callback_urls)
        form.logout_urls.data = "\n".join(tenant.logout_urls)
    elif form.validate_on_submit():
        try:
            drafts.save_app_client(
                tenant,
                form.name.data,
                form.slug.data or suggest_slug(form.name.data),
                lines(form.callback_urls.data),
                lines(form.logout_urls.data),
            )
        except ValidationError as error:
            _field_error(form, error)
        else:
            return next_page(1, tenant)
    return render_step("wizard/app_client.html", 1, tenant, draft, form=form, open_drafts=[])


@bp.route("/<slug>/wizard/attributes", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
@wizard_step(2)
def attributes(tenant: Tenant, draft: WizardDraft | None):
    pools = list_usage()
    form = AttributesForm()
    form.pool.choices = [("", "Place automatically")] + [
        (u.pool.user_pool_id, u.pool.user_pool_id) for u in pools
    ]
    if request.method == "GET":
        form.pool.data = tenant.pool.user_pool_id if tenant.pool and tenant.pool_pinned else ""
        form.include_roles.data = bool(draft and draft.include_roles)
    elif form.validate_on_submit():
        try:
            drafts.save_attributes(tenant, form.pool.data or None, form.include_roles.data)
        except ValidationError as error:
            _field_error(form, error)
        else:
            return next_page(2, tenant)
    return render_step("wizard/attributes.html", 2, tenant, draft, form=form, pools=pools)


@bp.route("/<slug>/wizard/provider", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
@wizard_step(3)
def provider(tenant: Tenant, draft: WizardDraft | None):
    form = ProviderForm()
    form.roles_required = bool(draft and draft.include_roles)
    saml = SamlProviderForm()
    context: dict = {"warnings": {}, "check": None, "saved": False, "secret_again": False}
    if request.method == "GET":
        _fill_provider(form, tenant, draft)
        _fill_saml(saml, tenant)
    elif saml.provider_type.data == "SAML":
        done = _save_saml(form, saml, tenant, context)
        if done is not None:
            return done
        draft = db.session.get(WizardDraft, tenant.id)
    elif form.validate_on_submit():
        if not form.entering_now():
            drafts.save_customer_idp(tenant)
            return next_page(3, tenant)
        check = preflight(
            form.issuer.data.strip(),
            form.groups_claim.data,
            form.roles_claim.data if form.roles_required else None,
        )
        context["check"] = check
        if check.ok:
            try:
                drafts.save_idp(tenant, _idp_input(form), check)
            except ValidationError as error:
                _field_error(form, error)
            else:
                if not check.warnings:
                    return next_page(3, tenant)
                context["saved"] = True  # saved, but show the warnings next to their fields
                draft = db.session.get(WizardDraft, tenant.id)
        _attach_findings(form, check, context["warnings"])
    if request.method == "POST" and form.client_secret.data and not context["saved"]:
        context["secret_again"] = True
    return render_step(
        "wizard/provider.html",
        3,
        tenant,
        draft,
        form=form,
        saml=saml,
        saml_presets_json=presets_json(),
        urls=hosted_urls(tenant),
        links_endpoint="links.index" in current_app.view_functions,
        idp_by_customer=bool(draft and draft.idp_by_customer),
        **context,
    )


def _save_saml(form: ProviderForm, saml: SamlProviderForm, tenant: Tenant, context: dict):
    """The SAML branch of step 3: the next page once saved, else None (errors on the form)."""
    saml.entering_now = form.entering_now()
    if not saml.validate_on_submit():
        return None
    if not form.entering_now():
        drafts.save_customer_idp(tenant, "SAML")
        return next_page(3, tenant)
    defaults = preset(saml.preset.data)
    upload = saml.metadata_file.data
    given = drafts.SamlInput(
        metadata_url=(saml.metadata_url.data or "").strip() or None,
        metadata_file=upload.read(MAX_METADATA_UPLOAD) if saml.has_file() else None,
        email_attribute=(saml.email_attribute.data or "").strip() or defaults.email_attribute,
        groups_attribute=(saml.groups_attribute.data or "").strip() or defaults.groups_attribute,
        roles_attribute=(saml.roles_attribute.data or "").strip() or defaults.roles_attribute,
        sign_requests=saml.sign_requests.data,
        encrypted_responses=saml.encrypted_responses.data,
        idp_signout=saml.idp_signout.data,
        idp_initiated=saml.idp_initiated.data,
    )
    check = saml_preflight(
        given.metadata_url,
        given.metadata_file,
        sign_requests=given.sign_requests,
        idp_signout=given.idp_signout,
        tenant=tenant,
    )
    context["saml_check"] = check
    if check.ok:
        try:
            drafts.save_saml_idp(tenant, given, check)
        except ValidationError as error:
            target = getattr(saml, error.field, None) or saml.metadata_url
            target.errors = [*target.errors, error.message]
            return None
        if not check.warnings:
            return next_page(3, tenant)
        context["saved"] = True
    for finding in check.findings:
        name = "metadata_url" if finding.field == "metadata_file" else finding.field
        target = getattr(saml, name, None) or saml.metadata_url
        if finding.level == "error":
            target.errors = [*target.errors, finding.message]
        else:
            context["warnings"].setdefault(target.name, []).append(finding.message)
    return None


def _fill_saml(saml: SamlProviderForm, tenant: Tenant) -> None:
    saml.provider_type.data = tenant.provider_type
    if tenant.is_saml:
        saml.metadata_url.data = tenant.saml_metadata_url or ""
        saml.email_attribute.data = tenant.email_attribute
        saml.groups_attribute.data = tenant.groups_claim
        saml.roles_attribute.data = tenant.roles_claim or ""
        for flag in ("sign_requests", "encrypted_responses", "idp_signout", "idp_initiated"):
            getattr(saml, flag).data = getattr(tenant, f"saml_{flag}")


def _fill_provider(form: ProviderForm, tenant: Tenant, draft: WizardDraft | None) -> None:
    form.mode.data = "customer" if draft and draft.idp_by_customer else "now"
    form.issuer.data = tenant.issuer or ""
    form.client_id.data = tenant.idp_client_id or ""
    form.scopes.data = tenant.authorize_scopes
    form.groups_claim.data = tenant.groups_claim
    form.roles_claim.data = tenant.roles_claim or ""
    form.attributes_request_method.data = tenant.attributes_request_method


def _idp_input(form: ProviderForm) -> drafts.IdpInput:
    return drafts.IdpInput(
        issuer=form.issuer.data.strip(),
        client_id=form.client_id.data.strip(),
        client_secret=form.client_secret.data or None,
        scopes=form.scopes.data,
        groups_claim=(form.groups_claim.data or "").strip(),
        roles_claim=(form.roles_claim.data or "").strip() or None,
        attributes_request_method=form.attributes_request_method.data,
    )


def _attach_findings(form: ProviderForm, check: IssuerCheck, warnings: dict) -> None:
    for finding in check.findings:
        target = getattr(form, finding.field, None) or form.issuer
        if finding.level == "error":
            target.errors = [*target.errors, finding.message]
        else:
            warnings.setdefault(target.name, []).append(finding.message)


def _field_error(form, error: ValidationError) -> None:
    aliases = {"callback_urls": "callback_urls", "scopes": "scopes", "pool": "pool"}
    target = getattr(form, aliases.get(error.field, error.field), None)
    if target is None or not hasattr(target, "errors"):
        flash(error.message, "error")
        return
    target.errors = [*(target.errors or []), error.message]


@bp.route("/<slug>/wizard/attach", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
@wizard_step(4)
def attach(tenant: Tenant, draft: WizardDraft | None):
    form = ConfirmForm()
    if form.validate_on_submit():
        drafts.confirm_step(tenant, 4)
        return next_page(4, tenant)
    return render_step(
        "wizard/attach.html", 4, tenant, draft, form=form, test_callback=test_callback_url()
    )


@bp.route("/<slug>/wizard/managed-login", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
@wizard_step(5)
def managed_login(tenant: Tenant, draft: WizardDraft | None):
    form = ConfirmForm()
    if form.validate_on_submit():
        drafts.confirm_step(tenant, 5)
        return next_page(5, tenant)
    room = usage(tenant.pool) if tenant.pool else None
    return render_step("wizard/managed_login.html", 5, tenant, draft, form=form, room=room)


@bp.route("/<slug>/wizard/review", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
@wizard_step(6)
def review(tenant: Tenant, draft: WizardDraft | None):
    form = ReviewForm()
    if form.validate_on_submit():
        if not tenant.has_idp_settings:
            drafts.finish_for_customer(tenant)
            flash("Saved. Onboarding starts once the customer has entered their settings.", "info")
            return redirect(url_for("tenants.show", slug=tenant.slug))
        try:
            drafts.submit(tenant)
        except (ValidationError, NoPoolHasRoom) as error:
            flash(getattr(error, "message", str(error)), "error")
        else:
            return redirect(url_for("tenants.progress", slug=tenant.slug))
    return render_step(
        "wizard/review.html",
        6,
        tenant,
        draft,
        form=form,
        urls=hosted_urls(tenant),
        test_callback=test_callback_url(),
        links_endpoint="links.index" in current_app.view_functions,
    )
