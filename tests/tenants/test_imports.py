"""Bulk import from CSV: a row-by-row report, all rows or none, in the browser and the CLI."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from portal.models import AuditEvent, Tenant, WebhookDelivery
from portal.services import events
from portal.services.audit.actors import acting_as
from portal.services.tenants.imports import MAX_BYTES, MAX_COLUMNS, import_tenants
from portal.services.tenants.records import create_tenant
from portal.services.webhooks import endpoints as webhooks
from tests.support.factories import TEST_ACTOR
from tests.support.web import csrf_token

HEADER = "name,slug,callback_urls,contact_email\n"


def rows(count: int, start: int = 0) -> str:
    return "".join(
        f"Tenant {n},tenant-{n:04d},https://app.example.com/t{n}/cb|http://localhost:3000/cb,"
        f"it{n}@example.com\n"
        for n in range(start, start + count)
    )


def count_tenants(db) -> int:
    return db.session.scalar(select(func.count(Tenant.id)))


@pytest.mark.dialect
@pytest.mark.slow
def test_a_thousand_rows_import_in_one_go_with_a_correct_report(db):
    with acting_as(TEST_ACTOR):
        webhooks.create_endpoint("https://hooks.example.com/x", [events.TENANT_CREATED])
        report = import_tenants((HEADER + rows(1000)).encode())
    assert report.ok and report.rows == 1000 and report.problems == []
    assert len(report.created) == 1000 and report.created[0] == "tenant-0000"
    assert count_tenants(db) == 1000
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "tenant-0999"))
    assert tenant.callback_urls == [
        "https://app.example.com/t999/cb",
        "http://localhost:3000/cb",
    ]
    assert tenant.contact_email == "it999@example.com"
    assert len(set(db.session.scalars(select(Tenant.provider_name)))) == 1000
    created = select(func.count(AuditEvent.id)).where(AuditEvent.action == "tenant.created")
    assert db.session.scalar(created) == 1000
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1000


@pytest.mark.dialect
def test_one_bad_row_in_a_thousand_imports_nothing_and_names_each_problem(db):
    with acting_as(TEST_ACTOR):
        create_tenant("taken", "Taken", ["https://app.example.com/cb"])
    bad = (
        HEADER
        + rows(500)
        + "Bad,Not A Slug,http://app.example.com/cb,not-an-email\n"  # row 502
        + rows(497, start=500)
        + "Dup,tenant-0001,https://app.example.com/cb,\n"  # row 1000
        + "Taken,taken,https://app.example.com/cb,\n"  # row 1001
        + ",,,\n"  # blank: skipped
    )
    with acting_as(TEST_ACTOR):
        report = import_tenants(bad.encode())
    assert not report.ok and report.created == []
    assert report.rows == 1000
    found = {(p.row, p.field) for p in report.problems}
    assert found == {
        (502, "slug"),
        (502, "callback_urls"),
        (502, "contact_email"),
        (1000, "slug"),
        (1001, "slug"),
    }
    dup = next(p for p in report.problems if p.row == 1000)
    assert "row 3" in dup.message  # tenant-0001 is on row 3
    assert count_tenants(db) == 1  # nothing half-imported


def test_problems_with_the_file_itself(db):
    def problems(data: bytes):
        return [(p.row, p.field) for p in import_tenants(data).problems]

    assert problems(b"") == [(1, "file")]
    assert problems(b"name,slug\nA,a-b\n") == [(1, "callback_urls"), (1, "contact_email")]
    assert problems(HEADER.encode()) == [(2, "file")]
    assert problems(b"\xff\xfe" + HEADER.encode()) == [(1, "file")]
    semicolons = "name;slug;callback_urls;contact_email\nAcme;acme;https://a.example/cb;\n"
    assert import_tenants(semicolons.encode()).created == ["acme"]


def test_dry_run_checks_without_importing(db):
    report = import_tenants((HEADER + rows(3)).encode(), dry_run=True)
    assert report.ok and report.created == [] and count_tenants(db) == 0


def test_cli_import_with_json_report(app, db, tmp_path):
    good = tmp_path / "tenants.csv"
    good.write_text(HEADER + rows(5))
    runner = CliRunner()
    result = runner.invoke(app.cli, ["tenants", "import", str(good), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] and len(document["created"]) == 5
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + rows(2, start=10) + "X,x,https://a.example/cb,\n")
    failed = runner.invoke(app.cli, ["tenants", "import", str(bad), "--json"])
    assert failed.exit_code == 2
    report = json.loads(failed.stdout)
    assert report["problems"] == [
        {"row": 4, "field": "slug", "message": report["problems"][0]["message"]}
    ]
    assert count_tenants(db) == 5


def test_upload_in_the_browser(db, signed_in):
    staff = signed_in("staff")
    page = staff.get("/tenants/import")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    bad = staff.post(
        "/tenants/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"name\n"), "t.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and b"Nothing was imported" in bad.data
    good = staff.post(
        "/tenants/import",
        data={"csrf_token": token, "file": (io.BytesIO((HEADER + rows(3)).encode()), "t.csv")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 201 and b"Imported 3 tenants" in good.data
    assert count_tenants(db) == 3
    assert signed_in("auditor").get("/tenants/import").status_code == 403
    template = staff.get("/tenants/import/template.csv")
    assert template.mimetype == "text/csv"
    assert import_tenants(template.data, dry_run=True).ok


HOSTILE_HEADERS = {
    # 1.2 MB of one column name repeated: the duplicate check was quadratic (>10 min of CPU)
    "repeated": ",".join(["name"] * 240_000),
    # 1.8 MB of distinct unknown columns
    "distinct": ",".join(f"column{n}" for n in range(180_000)),
    # the real columns, then 240,000 empty ones
    "trailing": HEADER.strip() + "," * 240_000,
}


@pytest.mark.timeout(10)  # linear checks take well under a second; the quadratic one minutes
@pytest.mark.parametrize("shape", sorted(HOSTILE_HEADERS))
def test_a_hostile_header_is_refused_at_once_with_a_clear_error(db, shape):
    data = (HOSTILE_HEADERS[shape] + "\nAcme,acme,https://a.example/cb,\n").encode()
    assert len(data) < MAX_BYTES
    report = import_tenants(data)
    [problem] = report.problems
    assert (problem.row, problem.field) == (1, "file")
    assert f"at most {MAX_COLUMNS} are read" in problem.message
    assert count_tenants(db) == 0


@pytest.mark.timeout(10)
def test_a_file_over_the_size_limit_is_refused_in_the_browser_and_the_cli(
    app, db, signed_in, tmp_path
):
    staff = signed_in("staff")
    token = csrf_token(staff.get("/tenants/import").get_data(as_text=True))
    huge = HEADER.encode() + b"x" * (MAX_BYTES + 1)
    for size, status in ((len(huge), 422), (MAX_BYTES + 200_000, 413)):
        refused = staff.post(
            "/tenants/import",
            data={"csrf_token": token, "file": (io.BytesIO(huge[:size].ljust(size)), "t.csv")},
            content_type="multipart/form-data",
        )
        page = refused.get_data(as_text=True)
        assert refused.status_code == status  # past the request limit, before reading the form
        assert "larger than 5 MB; split it into several imports" in page
    assert 'id="file-error"' in page  # the 413: next to the file field
    big = tmp_path / "big.csv"
    big.write_bytes(huge)
    result = CliRunner().invoke(app.cli, ["tenants", "import", str(big)])
    assert result.exit_code == 2 and "larger than 5 MB" in result.output
    assert count_tenants(db) == 0


def test_a_provider_type_column_makes_saml_tenants_and_a_bad_type_is_reported(db):
    header = "name,slug,callback_urls,contact_email,provider_type\n"
    good = (
        "Acme,acme,https://app.example.com/cb,it@acme.example,saml\n"
        "Globex,globex,https://app.example.com/cb,it@globex.example,\n"
    )
    with acting_as(TEST_ACTOR):
        bad = import_tenants(
            (header + good + "Ini,initech,https://a.io/cb,it@i.io,ldap\n").encode()
        )
        assert [(p.row, p.field) for p in bad.problems] == [(4, "provider_type")]
        assert count_tenants(db) == 0
        report = import_tenants((header + good).encode())
    assert report.ok and report.created == ["acme", "globex"]
    types = dict(db.session.execute(select(Tenant.slug, Tenant.provider_type)).all())
    assert types == {"acme": "SAML", "globex": "OIDC"}
