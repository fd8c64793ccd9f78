"""The customer's setup page, as an IT admin with a link (and no account) sees it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal.cognito.errors import PermanentError
from portal.cognito.resources import STEPS_BY_NAME
from portal.models import (
    AuditEvent,
    LinkState,
    Run,
    SetupLink,
    Tenant,
    TenantStatus,
    utcnow,
)
from portal.services import events
from portal.services.audit.actors import acting_as
from portal.services.selfservice.setup_links import revoke_link
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.selfservice import new_link
from tests.support.settings import set_settings
from tests.support.web import Browser

SECRET = "cust0mer-s3cret-Xy9!"


def draft(slug: str = "acme", name: str = "Acme Corp") -> Tenant:
    with acting_as(f.TEST_ACTOR):
        return create_tenant(slug, name, ["https://app.example.com/callback"])


def form_data(issuer: str, **changes: str) -> dict[str, str]:
    data = {
        "issuer": issuer,
        "client_id": "acme-portal-app",
        "client_secret": SECRET,
        "groups_claim": "groups",
        "roles_claim": "",
        "domains": "",
    }
    data.update(changes)
    return data


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def field_error(response, field: str) -> str:
    """The error shown next to FIELD (empty if none)."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', html, re.S)
    return unescape(match.group(1)) if match else ""


def audit_rows(db, prefix: str = "") -> list[AuditEvent]:
    db.session.expire_all()
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    return [r for r in rows if r.action.startswith(prefix)]


@pytest.fixture
def pool(cognito_emulator) -> str:
    """A registered pool's id (requests end the test's session, so keep plain values)."""
    return f.pool(cognito_emulator).user_pool_id


# --- Closed links ------------------------------------------------------------------------------


def test_expired_revoked_and_unknown_links_each_say_why_and_name_no_tenant(
    app, browser: Browser, db, pool, monkeypatch
):
    tenant = draft(name="Secret Customer Name")
    expired, expired_token = new_link(tenant)
    expired.expires_at = utcnow() - timedelta(seconds=1)
    expired_on = expired.expires_at.strftime("%d %b %Y")
    db.session.commit()
    other = draft("other", "Other Corp")
    revoked, revoked_token = new_link(other)
    with acting_as(f.TEST_ACTOR):
        revoke_link(revoked)

    unknown = [browser.get(f"/setup/{t}") for t in ("A" * 43, "not-a-token")]
    assert {p.status_code for p in unknown} == {404}
    bodies = {re.sub(r"[0-9a-f]{32}", "REQ", p.get_data(as_text=True)) for p in unknown}
    assert len(bodies) == 1  # a garbled token and an unknown one look the same
    body = bodies.pop()
    assert "This link does not work" in body and "copied whole" in body
    assert "Ask your contact at Your vendor for a new set-up link" in body

    lapsed = browser.get(f"/setup/{expired_token}")
    text = lapsed.get_data(as_text=True)
    assert lapsed.status_code == 410 and "This set-up link has expired" in text
    assert expired_on in text
    withdrawn = browser.get(f"/setup/{revoked_token}")
    assert withdrawn.status_code == 410 and "withdrew this link" in withdrawn.get_data(True)

    set_settings(monkeypatch, app, vendor_contact="onboarding@globex.example")
    asked = browser.get(f"/setup/{expired_token}").get_data(as_text=True)
    assert "Ask onboarding@globex.example for a new set-up link" in asked
    for page in (body, text, withdrawn.get_data(as_text=True), asked):
        for leak in ("Secret Customer Name", "acme", "Other Corp"):
            assert leak not in page


def test_brute_forcing_tokens_is_throttled_per_address_even_for_a_valid_token(browser, db, pool):
    _, token = new_link(draft())
    statuses = [browser.get(f"/setup/{'x' * 43}{n}").status_code for n in range(10)]
    assert statuses == [404] * 10
    assert browser.get(f"/setup/{'y' * 44}").status_code == 429
    blocked = browser.get(f"/setup/{token}")
    assert blocked.status_code == 429  # no oracle: a right guess looks like a wrong one now
    assert "Too many requests" in blocked.get_data(as_text=True)
    assert blocked.headers["Retry-After"]


# --- The page ------------------------------------------------------------------------------------


def test_the_page_names_vendor_and_tenant_and_shows_what_to_register(
    app, browser, db, pool, monkeypatch
):
    set_settings(monkeypatch, app, vendor_name="Globex Cloud")
    tenant = draft()
    assert tenant.pool is None
    tenant_id = tenant.id
    _, token = new_link(tenant)

    page = browser.get(f"/setup/{token}")

    assert page.status_code == 200
    text = text_of(page)
    assert "Set up single sign-on for Acme Corp" in text
    assert "Globex Cloud" in text
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.pool is not None  # placed, so that its redirect URI is known
    redirect_uri = f"{tenant.pool.cognito_domain_url}/oauth2/idpresponse"
    assert f'data-copy="{redirect_uri}"' in page.get_data(as_text=True)
    assert 'data-copy="openid email"' in page.get_data(as_text=True)
    for label in (
        "Okta",
        "Microsoft Entra ID",
        "Google Workspace",
        "Auth0",
        "Keycloak",
        "Another OpenID Connect provider",
    ):
        assert f"<summary>{label}</summary>" in page.get_data(as_text=True)
    # Every guide warns about Cognito's limit on groups, but Google's: it sends no groups at all.
    assert text.count("2048 bytes") == 5
    assert "Google sends no groups" in text
    assert "about 200 groups" in text and "app roles" in text
    assert 'name="client_secret"' in page.get_data(as_text=True)


def test_a_guide_can_be_opened_from_the_address(browser, db, pool):
    _, token = new_link(draft())
    page = browser.get(f"/setup/{token}?guide=entra").get_data(as_text=True)
    assert '<details class="guide" id="guide-entra" open>' in page
    assert '<details class="guide" id="guide-okta" >' in page


def test_opening_the_link_is_audited_once_and_attributed_to_the_link(browser, db, pool):
    link, token = new_link(draft())
    link_id = link.id
    browser.get(f"/setup/{token}")
    browser.get(f"/setup/{token}")
    opened = audit_rows(db, "setup_link.opened")
    assert len(opened) == 1
    assert (opened[0].actor_type, opened[0].actor_id) == ("setup_link", str(link_id))
    assert opened[0].actor_label == "setup link for acme"
    assert opened[0].source_ip == "127.0.0.1"
    placed = audit_rows(db, "tenant.placed")
    assert placed and placed[0].actor_type == "setup_link"
    assert db.session.get(SetupLink, link_id).opened_at is not None


# --- Submitting --------------------------------------------------------------------------------


def test_a_failing_issuer_is_explained_next_to_the_field_and_nothing_typed_is_lost(
    browser,
    db,
    pool,
    idp,
):
    tenant_id = draft().id
    _, token = new_link(db.session.get(Tenant, tenant_id))
    idp.serve(
        "/.well-known/openid-configuration", b"<html><body>Login</body></html>", 200, "text/html"
    )

    response = browser.post_form(
        f"/setup/{token}", form_data(idp.issuer, roles_claim="app_roles", domains="acme.com")
    )

    assert response.status_code == 422
    assert "did not return JSON" in field_error(response, "issuer")
    html = response.get_data(as_text=True)
    assert 'value="acme-portal-app"' in html and 'value="app_roles"' in html
    assert "acme.com</textarea>" in html
    assert SECRET not in html  # a secret is never written back into a page
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.issuer is None and tenant.status == TenantStatus.DRAFT
    [failed] = audit_rows(db, "setup_link.preflight_failed")
    assert failed.actor_type == "setup_link"
    assert SECRET not in str(failed.details)


def test_bad_input_is_refused_next_to_its_field(browser, db, pool, oidc_idp):
    _, token = new_link(draft())
    cases = {
        "client_id": form_data(oidc_idp, client_id=""),
        "client_secret": form_data(oidc_idp, client_secret=""),
        "groups_claim": form_data(oidc_idp, groups_claim="has spaces"),
        "domains": form_data(oidc_idp, domains="not a domain"),
    }
    for field, data in cases.items():
        response = browser.post_form(f"/setup/{token}", data)
        assert response.status_code == 422, field
        assert field_error(response, field), field


def test_a_passing_submission_queues_onboarding_as_the_link(browser, db, pool, oidc_idp):
    link, token = new_link(draft())
    tenant_id, link_id = link.tenant_id, link.id
    published = []
    events.subscribe(listener := lambda kind, t, data: published.append(kind))
    try:
        response = browser.post_form(
            f"/setup/{token}", form_data(oidc_idp, groups_claim="app_groups", domains="acme.com")
        )
    finally:
        events._listeners.remove(listener)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/setup/{token}#progress")
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.status == TenantStatus.QUEUED
    assert tenant.issuer == oidc_idp and tenant.groups_claim == "app_groups"
    # claimed, not yet an identifier: Cognito gets it once the TXT record proves it
    assert [(d.domain, d.state) for d in tenant.domains] == [("acme.com", "unverified")]
    assert tenant.idp_identifiers == []
    assert SECRET.encode() not in tenant.idp_client_secret_encrypted
    assert events.IDP_SUBMITTED in published
    run = db.session.scalar(select(Run).where(Run.tenant_id == tenant.id))
    assert run.actor == "setup link for acme"
    by_link = {(e.action, e.actor_type) for e in audit_rows(db)}
    assert {("setup_link.submitted", "setup_link"), ("tenant.idp_set", "setup_link")} <= by_link
    assert {("run.queued", "setup_link")} <= by_link
    assert db.session.get(SetupLink, link_id).submissions == 1
    for row in audit_rows(db):
        assert SECRET not in str(row.details)

    page = browser.get(f"/setup/{token}")
    html = page.get_data(as_text=True)
    assert f'data-poll="/setup/{token}/status"' in html
    assert "in progress" in text_of(page)
    assert "Check and connect" not in html  # no second submission while it runs
    refused = browser.post_form("/login", form_data(oidc_idp), post_url=f"/setup/{token}")
    assert refused.status_code == 409
    assert "being applied" in text_of(refused)


def test_connected_then_correctable_until_a_test_verifies_it(browser, db, pool, oidc_idp):
    link, token = new_link(draft())
    tenant_id, link_id = link.tenant_id, link.id
    browser.post_form(f"/setup/{token}", form_data(oidc_idp))
    status = browser.get(f"/setup/{token}/status").get_data(as_text=True)
    assert status.lstrip().startswith('<section id="progress"') and "data-poll=" in status

    [run] = db.session.scalars(select(Run)).all()
    assert f.run_now(run) == "succeeded"

    done = browser.get(f"/setup/{token}/status").get_data(as_text=True)
    assert "data-poll-done" in done and "connected" in done
    assert "Run a test sign-in" in done and 'name="link"' in done
    db.session.expire_all()
    link = db.session.get(SetupLink, link_id)
    assert link.state() == LinkState.USED
    assert [e.action for e in audit_rows(db, "setup_link.used")] == ["setup_link.used"]

    # Not verified yet (no test, or a test without groups): the customer may correct it.
    page = browser.get(f"/setup/{token}")
    assert "Check and connect" in page.get_data(as_text=True)
    assert "no test sign-in has verified it yet" in text_of(page)
    corrected = browser.post_form(f"/setup/{token}", form_data(oidc_idp, groups_claim="roles"))
    assert corrected.status_code in (200, 302), corrected.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id).groups_claim == "roles"
    assert len(audit_rows(db, "setup_link.submitted")) == 2
    rerun = db.session.scalars(select(Run).order_by(Run.id.desc())).first()
    assert rerun.id != run.id and f.run_now(rerun) == "succeeded"

    # Once a test sign-in verified it, changes need a new link.
    tenant = db.session.get(Tenant, tenant_id)
    tenant.verified_at, tenant.verified_by = utcnow(), "setup link for acme"
    db.session.commit()
    page = browser.get(f"/setup/{token}")
    assert "Check and connect" not in page.get_data(as_text=True)
    assert "ask Your vendor for a new set-up link" in text_of(page)
    second = browser.post_form(f"/setup/{token}", form_data(oidc_idp, client_id="other"))
    assert second.status_code == 409
    assert db.session.get(Tenant, tenant_id).idp_client_id == "acme-portal-app"


def test_a_failed_run_says_what_to_change_and_the_same_link_takes_a_correction(
    browser, db, pool, oidc_idp, monkeypatch
):
    link, token = new_link(draft())
    tenant_id = link.tenant_id
    browser.post_form(f"/setup/{token}", form_data(oidc_idp, domains="acme.com"))

    class RefusingProvider:
        name = "provider"

        def apply(self, ctx):
            raise PermanentError(
                "CreateIdentityProvider",
                "InvalidParameterException",
                "Error retrieving configuration from issuer <b>bad</b>",
            )

    real = STEPS_BY_NAME["provider"]
    monkeypatch.setitem(STEPS_BY_NAME, "provider", RefusingProvider())
    [run] = db.session.scalars(select(Run)).all()
    run_id = run.id
    assert f.run_now(run) == "failed"

    page = browser.get(f"/setup/{token}")
    html, text = page.get_data(as_text=True), text_of(page)
    assert "could not use your identity provider" in text
    assert "&lt;b&gt;bad&lt;/b&gt;" in html  # Cognito's words, escaped
    assert "Check the issuer URL, the client ID and the client secret" in text
    assert f'value="{oidc_idp}"' in html and "acme.com</textarea>" in html
    assert "A secret is stored already" in text and SECRET not in html

    monkeypatch.setitem(STEPS_BY_NAME, "provider", real)
    corrected = browser.post_form(
        f"/setup/{token}", form_data(oidc_idp, client_id="fixed-id", client_secret="")
    )
    assert corrected.status_code == 302
    resumed = db.session.get(Run, run_id)
    assert resumed.status == "queued"  # the failed run resumes from its failed step
    assert f.run_now(resumed) == "succeeded"
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.status == TenantStatus.READY and tenant.idp_client_id == "fixed-id"
    assert tenant.idp_secret_in_cognito  # the secret typed the first time was kept and applied


def test_a_failure_on_the_vendors_side_does_not_blame_the_customer(
    browser, db, pool, oidc_idp, cognito_emulator
):
    cognito_emulator.set_pool_quotas(pool, max_identity_providers=0)
    _, token = new_link(draft())
    browser.post_form(f"/setup/{token}", form_data(oidc_idp))
    [run] = db.session.scalars(select(Run)).all()
    assert f.run_now(run) == "failed"
    text = text_of(browser.get(f"/setup/{token}"))
    assert "on Your vendor's side needs attention" in text
    assert "you do not need to change anything" in text
    assert "quota" not in text.lower() and pool not in text


def test_a_ready_tenant_can_change_its_settings_with_a_new_link(browser, db, pool, oidc_idp):
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    f.run_now(run)
    tenant = db.session.get(Tenant, tenant.id)
    tenant.verified_at, tenant.verified_by = utcnow(), "someone"
    db.session.commit()
    tenant_id = tenant.id
    _, token = new_link(tenant)
    page = browser.get(f"/setup/{token}")
    assert "Check and connect" in page.get_data(as_text=True)
    assert "leave this empty to keep it" in text_of(page)

    response = browser.post_form(
        f"/setup/{token}", form_data(oidc_idp, groups_claim="app_groups", client_secret="")
    )
    assert response.status_code == 302
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.status == TenantStatus.QUEUED
    assert tenant.verified_at is None  # new settings must be tested again


def test_submissions_are_rate_limited_per_link(browser, db, pool):
    _, token = new_link(draft())
    statuses = [browser.post_form(f"/setup/{token}", {"issuer": ""}).status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_what_an_idp_says_is_escaped(browser, db, pool, idp):
    _, token = new_link(draft())
    idp.publish(issuer="<script>alert('issuer')</script>")
    response = browser.post_form(f"/setup/{token}", form_data(idp.issuer))
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html
    assert "another issuer" in field_error(response, "issuer")


def test_warnings_do_not_stop_the_submission_and_are_shown(browser, db, pool, idp):
    idp.publish(claims_supported=["sub", "email"])
    _, token = new_link(draft())
    response = browser.post_form(f"/setup/{token}", form_data(idp.issuer))
    assert response.status_code == 302
    page = text_of(browser.get(f"/setup/{token}"))
    assert "Groups claim: The provider does not advertise a 'groups' claim" in page


def test_a_customer_whose_provider_sends_no_groups_leaves_the_claim_empty(
    browser, db, pool, oidc_idp
):
    link, token = new_link(draft())
    tenant_id = link.tenant_id
    page = browser.get(f"/setup/{token}").get_data(as_text=True)
    assert "Leave it empty if your provider sends no groups" in page
    response = browser.post_form(f"/setup/{token}", form_data(oidc_idp, groups_claim=""))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.groups_claim == "" and tenant.status == TenantStatus.QUEUED
