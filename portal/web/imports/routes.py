"""Page: /tenants/import — upload a CSV, see a row-by-row report; all rows are imported or none."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from portal.services.tenants import imports
from portal.web.access import STAFF_ROLES, roles
from portal.web.imports.forms import ImportForm

bp = Blueprint("imports", __name__, url_prefix="/tenants/import")


@bp.before_request
def limit_upload() -> None:
    request.max_content_length = imports.MAX_BYTES + 64 * 1024


@bp.route("", methods=["GET", "POST"])
@roles(*STAFF_ROLES)
def upload():
    form = ImportForm()
    report = None
    code = 200
    if form.validate_on_submit():
        report = imports.import_tenants(form.file.data.read(), dry_run=form.dry_run.data)
        code = 422 if not report.ok else (201 if report.created else 200)
    elif form.errors:
        code = 422
    return render_template(
        "imports/upload.html",
        form=form,
        report=report,
        columns=imports.REQUIRED_COLUMNS,
    ), code


@bp.get("/template.csv")
@roles(*STAFF_ROLES)
def template():
    return Response(
        imports.TEMPLATE,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=tenants-template.csv"},
    )
