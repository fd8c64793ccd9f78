"""Read-only history for auditors and admins; the only action here is verifying the chain."""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from markupsafe import Markup, escape

from portal.extensions import db
from portal.models import AuditEvent, Run, Tenant, utcnow
from portal.services.audit.export import FORMATS, begin_export, export_lines
from portal.services.audit.query import (
    MATCHING_RULE,
    TENANTS_PER_PAGE,
    AuditFilter,
    Cursor,
    describe,
    events_page,
    filter_conditions,
    find_tenants,
    run_history,
    tenant_slugs,
    tenant_timeline,
)
from portal.services.audit.verifications import chain_state, request_verification
from portal.services.tenants.records import UnknownTenant, get_tenant
from portal.validation import ValidationError
from portal.web.access import AUDIT_ROLES, roles
from portal.web.audit.forms import (
    ACTOR_TYPE_LABELS,
    FilterForm,
    KeptHtml,
    VerifyForm,
    filter_chips,
)
from portal.web.converters import id_arg

bp = Blueprint("audit", __name__, url_prefix="/audit")
FILTER_FIELDS = ("tenant", "actor", "actor_type", "action", "request_id", "since", "until")


@bp.app_template_filter("describe_details")
def _describe_details(details):
    return describe(details)


@bp.app_template_filter("utc")
def _utc(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


@bp.app_template_filter("wbr_dots")
def _wbr_dots(text):
    """Let long dotted names (cognito.managed_login.created) wrap at their dots only."""
    # Escaped first, so the only markup in the result is the <wbr> added here.
    return Markup(str(escape(text)).replace(".", ".<wbr>"))  # noqa: S704  # nosec B704


@bp.app_template_filter("utc_ms")
def _utc_ms(moment):
    """To the millisecond: a run's steps and calls often share a second."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if moment else "—"


@bp.app_template_filter("query_value")
def _query_value(value) -> str:
    """VALUE as one query argument's value, as urlencode writes it."""
    return quote_plus(str(value))


def _filter_prefix(changed: tuple[str, ...]) -> str:
    """The log's address with the current filter but for the CHANGED fields, ready for them to
    be appended: built once per request and set of fields."""
    prefixes = g.setdefault("audit_filter_prefixes", {})
    if changed not in prefixes:
        kept = {k: v for k, v in _filter_args().items() if k not in changed}
        base = url_for("audit.log")
        prefixes[changed] = f"{base}?{urlencode(kept)}&" if kept else f"{base}?"
    return prefixes[changed]


def _open_ended(endpoint: str, argument: str) -> str:
    """ENDPOINT's address up to its last part, ARGUMENT, which the caller appends (an id or a
    slug: nothing to quote)."""
    marker = "9" * 12  # a valid event id and a valid slug
    url = url_for(endpoint, **{argument: marker})
    assert url.endswith(marker), url
    return url.removesuffix(marker)


def _row_links() -> dict[str, str]:
    """The addresses each row of the log links to, up to the row's own value.

    A page of 50 rows links each row's event, tenant, actor, action and request id: built by
    url_for and the filter link each time, those 250 calls were over half of the rows'
    rendering. Each is now built once per page and the row's value appended."""
    return {
        "event": _open_ended("audit.event", "event_id"),
        "tenant": _open_ended("audit.tenant", "slug"),
        **{name: f"{_filter_prefix((name,))}{name}=" for name in ("actor", "action", "request_id")},
    }


# Where a kept row's links go: each mark is replaced by its address on every page. A raw "<"
# never comes out of an escaped value, so a mark cannot be mistaken for what a row shows.
_LINK_MARKS = {
    name: Markup("<{}-link>").format(name)
    for name in ("event", "tenant", "actor", "action", "request_id")
}
# About 40 pages of the log; a row's HTML is under 1 kB.
_ROWS_KEPT = KeptHtml(most=2000)


def _rows_html(rows: list[tuple[Any, str | None]]) -> Markup:
    """The page's rows as HTML, each kept under everything it shows.

    Events never change, and the log's newest page, or one an auditor goes back to, shows the
    same rows again: rendering 50 of them was the largest part of a page's Python (7 ms of 24,
    bench/web_profile.py). A row's HTML holds its links as marks, replaced on each page (the
    page's filter is in them); its key holds the tenant's slug, which a draft's may change."""
    html = "".join(
        _ROWS_KEPT.get((tuple(e), slug), functools.partial(_render_row, e, slug))
        for e, slug in rows
    )
    for name, address in _row_links().items():
        html = html.replace(_LINK_MARKS[name], escape(address))
    return Markup(html)  # noqa: S704  # nosec B704: kept template output, escaped addresses


def _render_row(e: Any, slug: str | None) -> Markup:
    lines = describe(json.loads(e.details_json)) if e.details_json else []
    module = current_app.jinja_env.get_template("audit/_event_row.html").module
    return module.event_row(e, slug, lines, _LINK_MARKS, ACTOR_TYPE_LABELS)


@bp.app_template_global("audit_filter_without")
def _audit_filter_without(name: str) -> str:
    """The log's address with one filter removed (a chip's link)."""
    return url_for("audit.log", **{k: v for k, v in _filter_args().items() if k != name})


def _filter_args() -> dict[str, str]:
    """The filter as query arguments, for links that keep it (pages, exports).

    Read once per request: a page of the log links each row's actor, action and request id
    with the filter kept, 150 links that each read the request's arguments again otherwise.
    """
    if "audit_filter_args" not in g:
        g.audit_filter_args = {
            k: v for k in FILTER_FIELDS if (v := (request.args.get(k) or "").strip())
        }
    return dict(g.audit_filter_args)


@functools.lru_cache(maxsize=8)
def _tenant_options(slugs: tuple[str, ...]) -> Markup:
    """The tenant filter's suggestions as <option>s, rendered once per list of slugs (kept by
    tenant_slugs while no tenant changes): 200 escaped options were a tenth of a page's
    rendering."""
    return Markup("").join(Markup('<option value="{}">').format(slug) for slug in slugs)


_FIELDS_KEPT = KeptHtml()


def _filter_fields(form: FilterForm) -> Markup:
    """The filter's labelled fields as HTML, kept per what each field was given and the errors
    it shows, which is all their HTML depends on.

    wtforms wrote the seven fields out on every page of the log, 2.5 ms of a filtered page's
    25-35 (bench/web_profile.py); paging through a filtered log, or back to the whole one,
    shows the same fields again."""
    key = tuple((f.name, tuple(f.raw_data or ()), tuple(f.errors)) for f in form)
    return _FIELDS_KEPT.get(key, lambda: _render_filter_fields(form))


def _render_filter_fields(form: FilterForm) -> Markup:
    html = current_app.jinja_env.get_template("audit/_filter_fields.html").render(form=form)
    return Markup(html)  # noqa: S704  # nosec B704: a template's output, escaped as it rendered


def _field_error(form: FilterForm, exc: ValidationError) -> None:
    sentence = exc.message[:1].upper() + exc.message[1:] + "."
    form[exc.field].errors = [*form[exc.field].errors, sentence]


def _chain_context() -> dict:
    state = chain_state()
    return {
        "head": state.head,
        "result": state.result,
        "pending": state.pending,
        "checkpoint": state.checkpoint,
        "verify_form": VerifyForm(),
    }


@bp.get("")
@roles(*AUDIT_ROLES)
def log():
    form = FilterForm(formdata=request.args)
    page = None
    chips: list[tuple[str, str]] = []
    if form.validate():
        flt = form.to_filter()
        try:
            page = events_page(flt, before=id_arg("before"), after=id_arg("after"))
            chips = filter_chips(flt)
        except ValidationError as exc:  # a tenant text no tenant matches
            _field_error(form, exc)
    elif form.tenant.data and not form.tenant.errors:
        # Say everything wrong at once: whether the tenant text matches is a query of its own.
        try:
            filter_conditions(AuditFilter(tenant=form.tenant.data.strip()))
        except ValidationError as exc:
            _field_error(form, exc)
    return render_template(
        "audit/log.html",
        form=form,
        filter_fields=_filter_fields(form),
        page=page,
        chips=chips,
        args=_filter_args(),
        tenant_options=_tenant_options(tuple(tenant_slugs())),
        rows_html=_rows_html(page.rows) if page else Markup(),
        matching_rule=MATCHING_RULE,
        **_chain_context(),
    )


@bp.get("/chain")
@roles(*AUDIT_ROLES)
def chain():
    """The chain's state alone, for the page to poll while a verification runs."""
    return render_template("audit/_chain.html", **_chain_context())


@bp.post("/verify")
@roles(*AUDIT_ROLES)
def verify():
    """Queue a verification of the whole chain; a worker walks it, the page shows the result."""
    form = VerifyForm()
    if form.validate_on_submit():
        verification, fresh = request_verification()
        if verification.status == "failed":
            flash(f"The verification could not start: {verification.problem}", "error")
        elif fresh:
            flash("Verification started. This page shows the result when it is done.", "info")
        else:
            flash("A verification is already under way.", "info")
    return redirect(url_for("audit.log"))


@bp.get("/export.<fmt>")
@roles(*AUDIT_ROLES)
def export(fmt: str):
    """The filtered history as a download, streamed row by row; the export is audited."""
    if fmt not in FORMATS:
        abort(404)
    form = FilterForm(formdata=request.args)
    if not form.validate():
        return redirect(url_for("audit.log", **_filter_args()))
    try:
        plan = begin_export(form.to_filter(), fmt)
    except ValidationError:  # the log page says what is wrong, next to the field
        return redirect(url_for("audit.log", **_filter_args()))
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    response = Response(stream_with_context(export_lines(plan)), mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    response.headers["X-Audit-Chain-Head"] = f"{plan.header['chain_head']['hash']}@{plan.upto}"
    return response


@bp.get("/events/<bigint:event_id>")
@roles(*AUDIT_ROLES)
def event(event_id: int):
    found = db.session.get(AuditEvent, event_id)
    if found is None:
        abort(404)
    tenant = db.session.get(Tenant, found.tenant_id) if found.tenant_id else None
    run_id = (found.details or {}).get("run_id")
    run = db.session.get(Run, run_id) if isinstance(run_id, int) else None
    return render_template("audit/event.html", event=found, tenant=tenant, run=run)


@bp.get("/tenants")
@roles(*AUDIT_ROLES)
def tenants():
    search = (request.args.get("q") or "").strip()[:128]
    found = find_tenants(search)
    return render_template(
        "audit/tenants.html", tenants=found, search=search, limited=len(found) >= TENANTS_PER_PAGE
    )


@bp.get("/tenants/<slug>")
@roles(*AUDIT_ROLES)
def tenant(slug: str):
    try:
        found = get_tenant(slug)
    except UnknownTenant:
        abort(404)
    timeline = tenant_timeline(
        found,
        after=Cursor.parse(request.args.get("after")),
        before=Cursor.parse(request.args.get("before")),
        latest=request.args.get("latest") == "1",
    )
    return render_template("audit/tenant.html", tenant=found, timeline=timeline)


@bp.get("/runs/<int:run_id>")
@roles(*AUDIT_ROLES)
def run(run_id: int):
    found = db.session.get(Run, run_id)
    if found is None:
        abort(404)
    return render_template("audit/run.html", history=run_history(found))
