"""The tenants list, a tenant's page, live progress, retry and the audited handover."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import insert, select

from portal.models import AuditEvent, Tenant, TenantStatus, utcnow
from portal.services.engine.queue import latest_run
from tests.support import factories as f


def many_tenants(db, count: int, pool_id: int | None = None) -> None:
    """Insert tenants in bulk (the services would take minutes for thousands)."""
    now = utcnow()
    rows = [
        {
            "slug": f"t{n:05d}",
            "name": f"Customer {n:05d}" if n % 7 else f"Zeta Widgets {n:05d}",
            "status": TenantStatus.READY if n % 3 else TenantStatus.FAILED,
            "pool_id": pool_id if n % 2 else None,
            "pool_pinned": False,
            "callback_urls": ["https://app.example.com/cb"],
            "logout_urls": [],
            "idp_secret_in_cognito": False,
            "authorize_scopes": "openid email",
            "groups_claim": "groups",
            "attributes_request_method": "GET",
            "provider_name": f"t{n:05d}",
            "client_name": f"portal-t{n:05d}",
            "client_create_started": False,
            "provider_created": False,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(insert(Tenant), rows)
    db.session.commit()


def names_in(page: str) -> list[str]:
    return re.findall(r'<td data-label="Name"><a href="/tenants/[^"]+">([^<]+)</a></td>', page)


@pytest.mark.dialect
def test_search_filter_sort_and_pages(signed_in, db, cognito_emulator):
    pool = f.pool(cognito_emulator)
    pool_key, pool_id = pool.id, pool.user_pool_id
    many_tenants(db, 1200, pool_key)
    auditor = signed_in("auditor")

    first = auditor.get("/tenants").get_data(as_text=True)
    assert "1200 tenants" in first and "page 1 of 24" in first
    assert names_in(first)[:2] == ["Customer 00001", "Customer 00002"]
    assert 'href="/tenants?sort=name&amp;page=2"' in first

    last = auditor.get("/tenants?page=24").get_data(as_text=True)
    assert len(names_in(last)) == 50 and "Next" not in last.split('aria-label="Pages"')[1]

    search = auditor.get("/tenants?q=zeta").get_data(as_text=True)
    assert "172 tenants match" in search  # every seventh of 1200
    assert all(n.startswith("Zeta") for n in names_in(search))
    by_slug = auditor.get("/tenants?q=t0100").get_data(as_text=True)
    assert "10 tenants match" in by_slug  # t01000 .. t01009

    failed = auditor.get("/tenants?status=failed").get_data(as_text=True)
    assert "400 tenants match" in failed
    in_pool = auditor.get(f"/tenants?pool={pool_id}&status=failed").get_data(as_text=True)
    assert "200 tenants match" in in_pool
    unplaced = auditor.get("/tenants?pool=none").get_data(as_text=True)
    assert "600 tenants match" in unplaced

    newest_slug = auditor.get("/tenants?sort=slug&dir=desc").get_data(as_text=True)
    assert names_in(newest_slug)[0] == "Customer 01199"
    assert 'aria-sort="descending"' in newest_slug
    # Paging keeps the search, filter and sort.
    assert "/tenants?q=zeta&amp;sort=name&amp;page=2" in search


def test_tenant_page_shows_settings_runs_and_audit_trail_newest_first(
    signed_in, db, cognito_emulator, oidc_idp
):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    assert f.run_now(run) == "succeeded"
    auditor = signed_in("auditor")
    page = auditor.get("/tenants/acme").get_data(as_text=True)
    assert "Connection details" in page and "Audit trail" in page and "Actions" in page
    assert "run.succeeded" in page and "tenant.created" in page
    assert page.index("run.succeeded") < page.index("tenant.created")  # newest first
    assert "Only staff and administrators can reveal it" in page
    assert "/reveal" not in page and "credentials.env" not in page
    assert f.IDP_SECRET not in page
    assert auditor.get("/tenants/nope").status_code == 404


def test_audit_trail_pages_by_cursor(signed_in, db, cognito_emulator, oidc_idp):
    from portal.services.audit import trail
    from portal.services.audit.actors import acting_as

    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    with acting_as(f.TEST_ACTOR):
        for n in range(30):
            trail.record("note.added", tenant, n=n)
    db.session.commit()
    staff = signed_in("staff")
    first = staff.get("/tenants/acme").get_data(as_text=True)
    assert "n:</span> 29" in first and "n:</span> 5<" in first and "n:</span> 4<" not in first
    cursor = re.search(r"before=(\d+)", first).group(1)
    older = staff.get(f"/tenants/acme?before={cursor}").get_data(as_text=True)
    assert "n:</span> 4<" in older and "tenant.created" in older


def test_progress_fragment_polls_until_the_run_finishes(signed_in, db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    staff = signed_in("staff")
    page = staff.get("/tenants/acme/progress").get_data(as_text=True)
    assert 'aria-live="polite"' in page
    assert 'data-poll="/tenants/acme/progress/steps"' in page
    fragment = staff.get("/tenants/acme/progress/steps").get_data(as_text=True)
    assert fragment.lstrip().startswith("<div") and "data-poll-done" not in fragment
    assert f.run_now(run) == "succeeded"
    done = staff.get("/tenants/acme/progress/steps").get_data(as_text=True)
    assert "data-poll-done" in done and "See the connection details" in done
    assert done.count('data-status="succeeded"') == 5
    # How long each step and the whole run took, from the run's own records.
    assert len(re.findall(r'step__time">· (\d+ ms|\d+\.\d s)<', done)) == 5
    assert re.search(r"Queued to ready in (\d+ ms|\d+\.\d s)\.", done)


def test_a_failed_run_explains_itself_and_retry_resumes_it(
    signed_in, db, cognito_emulator, oidc_idp
):
    pool_id = f.pool(cognito_emulator).user_pool_id
    cognito_emulator.set_pool_quotas(pool_id, max_identity_providers=0)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    tenant_id, run_id = tenant.id, run.id
    assert f.run_now(run) == "failed"
    staff = signed_in("staff")
    fragment = staff.get("/tenants/acme/progress/steps").get_data(as_text=True)
    assert "data-poll-done" in fragment
    assert "as many identity providers as its quota allows" in fragment
    assert "What to do" in fragment and ">Retry<" in fragment
    auditor_view = signed_in("auditor").get("/tenants/acme/progress/steps").get_data(as_text=True)
    assert ">Retry<" not in auditor_view
    cognito_emulator.set_pool_quotas(pool_id, max_identity_providers=300)
    retried = staff.post_form("/tenants/acme/progress", {}, post_url="/tenants/acme/retry")
    assert retried.status_code == 302
    db.session.expire_all()
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.status == TenantStatus.QUEUED
    resumed = latest_run(tenant)
    assert resumed.id == run_id  # the same run, resumed from its failed step
    assert f.run_now(resumed) == "succeeded"


def test_reveal_and_downloads_are_audited_and_match_cognito(
    signed_in, db, cognito_emulator, oidc_idp
):
    pool = f.pool(cognito_emulator)
    pool_id = pool.user_pool_id
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    f.run_now(run)
    db.session.refresh(tenant)
    client_id = tenant.client_id
    live = f.cognito_client().describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    secret = live["UserPoolClient"]["ClientSecret"]
    staff = signed_in("staff")
    show = staff.get("/tenants/acme").get_data(as_text=True)
    assert secret not in show and client_id in show

    revealed = staff.post_form("/tenants/acme", {}, post_url="/tenants/acme/reveal")
    assert revealed.status_code == 200
    assert revealed.headers["Cache-Control"] == "no-store"
    assert secret in revealed.get_data(as_text=True)
    # The reveal page offers the same downloads as the tenant page.
    assert "/tenants/acme/credentials.env" in revealed.get_data(as_text=True)
    assert "/tenants/acme/credentials.json" in revealed.get_data(as_text=True)

    env = staff.post_form("/tenants/acme", {}, post_url="/tenants/acme/credentials.env")
    assert "attachment" in env.headers["Content-Disposition"]
    assert f"COGNITO_CLIENT_SECRET='{secret}'" in env.get_data(as_text=True)
    assert f"COGNITO_CLIENT_ID='{client_id}'" in env.get_data(as_text=True)
    downloaded = json.loads(
        staff.post_form("/tenants/acme", {}, post_url="/tenants/acme/credentials.json").data
    )
    assert downloaded["client_secret"] == secret and downloaded["user_pool_id"] == pool_id
    assert "identity_provider=acme" in downloaded["authorize_url"]

    reveals = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "secret.revealed")
    ).all()
    assert [e.details["purpose"] for e in reveals] == [
        "shown in the browser",
        "downloaded as .env",
        "downloaded as JSON",
    ]
    assert all(e.actor_label == "staff@example.com" for e in reveals)
    assert secret not in str([e.details for e in reveals])


def test_home_links_to_the_list(signed_in):
    home = signed_in("auditor").get("/").get_data(as_text=True)
    assert 'href="/tenants"' in home and 'href="/tenants?status=failed"' in home
    assert "/tenants/new" not in home


def test_the_list_shows_verified_and_where_the_customers_link_stands(
    signed_in, db, cognito_emulator, oidc_idp
):
    from datetime import timedelta

    from portal.models import SetupLink
    from tests.support.selfservice import new_link

    waiting, lapsed = f.tenant("waiting", oidc_idp), f.tenant("lapsed", oidc_idp)
    new_link(waiting)
    link, _ = new_link(lapsed)
    link.expires_at = utcnow() - timedelta(hours=1)
    ready = f.ready_tenant(cognito_emulator, oidc_idp, slug="proven")
    ready.verified_at, ready.verified_by = utcnow(), "staff@example.com"
    db.session.commit()
    assert db.session.scalar(select(SetupLink.id).where(SetupLink.tenant_id == lapsed.id))

    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<a href="/tenants/([a-z]+)">.*?</tr>', staff_list(signed_in), re.DOTALL
        )
    }
    assert "waiting for customer" in rows["waiting"] and "verified" not in rows["waiting"]
    assert "link expired" in rows["lapsed"]
    assert ">verified</span>" in rows["proven"] and "customer" not in rows["proven"]


def staff_list(signed_in) -> str:
    return signed_in("staff").get("/tenants").get_data(as_text=True)
