"""An offboarded tenant is read-only: when and by whom, its history, and no credentials anywhere."""

from __future__ import annotations

from portal.models import RunStatus
from tests.support.factories import ready_tenant, run_latest


def offboard_as_staff(staff, db, tenant) -> None:
    staff.post_form("/tenants/acme/offboard", {"confirm": "acme"})
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED


def test_the_page_says_when_and_by_whom_and_offers_no_credentials(
    signed_in, db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    client_id = tenant.client_id
    staff = signed_in("staff")
    offboard_as_staff(staff, db, tenant)

    page = staff.get("/tenants/acme").get_data(as_text=True)
    assert "Offboarded on " in page and "by staff@example.com" in page
    for gone in ("Reveal", "Download .env", "Download JSON", "Setup links", "Connection details"):
        assert gone not in page, gone
    assert client_id not in page.split('id="runs-title"')[0]  # only in the history below
    assert "tenant.offboarding" in page and "Runs" in page  # the history stays
    progress = staff.get("/tenants/acme/progress").get_data(as_text=True)
    assert "<h1>Offboarding Acme</h1>" in progress  # titled by what the run does

    for route in ("reveal", "credentials.env", "credentials.json"):
        answer = staff.post_form("/tenants/acme", {}, f"/tenants/acme/{route}")
        body = answer.get_data(as_text=True)
        assert answer.status_code == 410, route
        assert "was offboarded on" in body and "staff@example.com" in body, route
        assert "retrying recreates" not in body and "deleted outside the portal" not in body
