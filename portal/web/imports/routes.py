"""Page: /tenants/import — upload a CSV, see a row-by-row report; all rows are imported or none."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from portal.services.tenants import imports
from portal.web.access import STAFF_ROLES, roles
from portal.web.imports.forms import ImportForm

bp = Blueprint("imports", __name__, url_prefix="/tenants/import")


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
    return _page(form, report), code


@bp.errorhandler(413)
def too_large(_error):
    """A file over the limit: the same page, the reason next to the file field."""
    form = ImportForm(formdata=None)
    form.file.errors = [imports.too_large_message()]
    return _page(form, None), 413


def _page(form: ImportForm, report: imports.ImportReport | None) -> str:
    return render_template(
        "imports/upload.html",
        form=form,
        report=report,
        columns=imports.REQUIRED_COLUMNS,
        max_mb=imports.MAX_BYTES // (1024 * 1024),
        max_rows=f"{imports.MAX_ROWS:,}",
    )


@bp.get("/template.csv")
@roles(*STAFF_ROLES)
def template():
    return Response(
        imports.TEMPLATE,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=tenants-template.csv"},
    )
