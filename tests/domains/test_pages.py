"""Claimed domains where people see them: setup page, tenant page, API, `tenants show --json`."""

from __future__ import annotations

import json

from sqlalchemy import select

from portal.models import AuditEvent, Role, Tenant
from portal.services.access.api_tokens import create_personal_token
from portal.services.access.users import create_user
from portal.services.audit.actors import acting_as
from portal.services.domains import claims
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.selfservice import new_link
from tests.support.web import csrf_token


def draft(slug: str = "acme"):
    with acting_as(f.TEST_ACTOR):
        return create_tenant(slug, slug.title(), ["https://app.example.com/callback"])


def claimed(slug: str = "acme", *domains: str):
    tenant = draft(slug)
    with acting_as(f.TEST_ACTOR):
        for domain in domains or ("acme.com",):
            claims.claim_domain(tenant, domain)
    return tenant


def test_the_setup_page_shows_the_txt_record_and_check_now_verifies(db, browser, dns_zone):
    tenant = claimed("acme", "acme.com")
    txt_value, tenant_id = tenant.domain_token, tenant.id
    _link, token = new_link(tenant)
    page = browser.get(f"/setup/{token}").get_data(as_text=True)
    assert "_cognito-portal.acme.com" in page and txt_value in page
    assert ">unverified<" in page

    dns_zone.publish("_cognito-portal.acme.com", txt_value)
    checked = browser.post_form(f"/setup/{token}", {}, post_url=f"/setup/{token}/domains/check")
    assert checked.status_code == 302
    page = browser.get(f"/setup/{token}").get_data(as_text=True)
    assert "Verified: acme.com." in page and ">verified<" in page
    assert db.session.get(Tenant, tenant_id).idp_identifiers == ["acme.com"]


def test_check_now_on_the_setup_page_needs_the_csrf_token(db, browser):
    tenant = claimed("acme", "acme.com")
    _link, token = new_link(tenant)
    browser.get(f"/setup/{token}")
    assert browser.post(f"/setup/{token}/domains/check").status_code == 400


def test_staff_see_claims_and_verify_by_hand_with_a_reason_auditors_only_look(
    db, signed_in, dns_zone
):
    tenant = claimed("acme", "acme.com", "acme.org")
    txt_value = tenant.domain_token
    auditor = signed_in("auditor")
    page = auditor.get("/tenants/acme").get_data(as_text=True)
    assert "E-mail domains" in page and "acme.org" in page and txt_value in page
    assert "Verify by hand" not in page  # an auditor only looks
    token = csrf_token(page)
    refused = auditor.post(
        "/tenants/acme/domains/verify",
        data={"csrf_token": token, "domain": "acme.com", "reason": "x"},
    )
    assert refused.status_code == 403

    staff = signed_in("staff")
    no_reason = staff.post_form(
        "/tenants/acme", {"domain": "acme.com", "reason": ""}, "/tenants/acme/domains/verify"
    )
    assert no_reason.status_code == 302
    assert [d.state for d in f.fresh(db, tenant).domains] == ["unverified", "unverified"]

    staff.post_form(
        "/tenants/acme",
        {"domain": "acme.com", "reason": "customer's DNS host is down; contract names it"},
        "/tenants/acme/domains/verify",
    )
    page = staff.get("/tenants/acme").get_data(as_text=True)
    assert "by hand, staff@example.com" in page and "contract names it" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "domain.verified"))
    assert (event.actor_label, event.details["method"]) == ("staff@example.com", "manual")

    staff.post_form("/tenants/acme", {}, "/tenants/acme/domains/check")
    assert "no TXT record at _cognito-portal.acme.org yet" in staff.get("/tenants/acme").get_data(
        as_text=True
    )
    staff.post_form(
        "/tenants/acme",
        {"domain": "acme.org", "reason": "not theirs"},
        "/tenants/acme/domains/remove",
    )
    assert [d.domain for d in f.fresh(db, tenant).domains] == ["acme.com"]


def test_staff_adding_a_public_mail_domain_are_told_why(db, signed_in):
    draft("acme")
    staff = signed_in("staff")
    response = staff.post_form("/tenants/acme", {"domain": "gmail.com"}, "/tenants/acme/domains")
    assert response.status_code == 302
    page = staff.get("/tenants/acme").get_data(as_text=True)
    assert "gmail.com is a public e-mail service" in page


def test_the_api_and_tenants_show_json_list_domains_and_state(db, app, cli):
    tenant = claimed("acme", "acme.com", "acme.org")
    with acting_as(f.TEST_ACTOR):
        claims.verify_by_hand(tenant, "acme.org", "checked")
        user = create_user("api-auditor@example.com", Role.AUDITOR, "long-password-123")
        token = create_personal_token(user, "auditor script").plaintext
    response = app.test_client().get(
        "/api/v1/tenants/acme", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.get_json()["domains"] == [
        {"domain": "acme.com", "state": "unverified", "in_cognito": False},
        {"domain": "acme.org", "state": "verified", "in_cognito": True},
    ]
    shown = json.loads(cli("tenants", "show", "acme", "--json").stdout)
    assert [(d["domain"], d["state"]) for d in shown["domains"]] == [
        ("acme.com", "unverified"),
        ("acme.org", "verified"),
    ]


def test_the_cli_adds_checks_verifies_and_removes(db, cli, dns_zone):
    draft("acme")
    added = cli("tenants", "domains", "acme", "add", "acme.com", "beta.example", "--json")
    assert added.exit_code == 0, added.output
    document = json.loads(added.stdout)
    assert [d["txt_name"] for d in document["domains"]] == [
        "_cognito-portal.acme.com",
        "_cognito-portal.beta.example",
    ]
    dns_zone.publish("_cognito-portal.beta.example", document["txt_value"])
    checked = json.loads(cli("tenants", "domains", "acme", "check", "--json").stdout)
    assert {d["domain"]: d["state"] for d in checked["domains"]} == {
        "acme.com": "unverified",
        "beta.example": "verified",
    }
    refused = cli("tenants", "domains", "acme", "verify", "acme.com", "--reason", " ")
    assert refused.exit_code == 2 and "reason" in refused.output
    assert cli("tenants", "domains", "acme", "verify", "acme.com", "--reason", "ok").exit_code == 0
    assert (
        cli("tenants", "domains", "acme", "remove", "beta.example", "--reason", "x").exit_code == 0
    )
    listed = cli("tenants", "domains", "acme").stdout
    assert "acme.com" in listed and "verified" in listed and "beta.example" not in listed
    assert cli("tenants", "domains", "acme", "add", "hotmail.com").exit_code == 2
