"""Hostile input shown back to people: every displayed field is escaped, nothing runs."""

from __future__ import annotations

import re

from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_hostile_tenant_name_is_escaped_on_every_page_that_shows_it(
    signed_in,
    db,
    cognito_emulator,
):
    with acting_as(f.TEST_ACTOR):
        create_tenant("evil", PAYLOAD, ["https://app.example.com/cb?q=><script>x</script>"])
    pages = {
        "staff": ["/", "/tenants", "/tenants?q=evil", "/tenants/evil", "/tenants/evil/progress"],
        "auditor": ["/audit", "/audit/tenants/evil", "/tenants/evil"],
    }
    for role, urls in pages.items():
        browser = signed_in(role)
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, (role, url)
            body = response.get_data(as_text=True)
            assert "<script>alert" not in body and "onerror=alert(1)>" not in body, (role, url)
            assert "<script>x</script>" not in body, (role, url)
    assert "&lt;script&gt;" in signed_in("staff").get("/tenants/evil").get_data(as_text=True)


def test_a_setup_link_cannot_act_on_another_tenant(app, db, cognito_emulator):
    from portal.services.selfservice import setup_links
    from tests.support.web import Browser

    with acting_as(f.TEST_ACTOR):
        acme = create_tenant("acme", "Acme", ["https://acme.example.com/cb"])
        create_tenant("globex", "Globex", ["https://globex.example.com/cb"])
        _link, token, _ = setup_links.create_link(acme)
    customer = Browser(app.test_client())  # no session: only the link
    page = customer.get(f"/setup/{token}")
    assert page.status_code == 200 and "Globex" not in page.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    response = customer.post(
        "/test-sign-in/start",
        data={"link": token, "tenant": "globex", "csrf_token": csrf.group(1) if csrf else ""},
    )
    assert response.status_code == 400  # the link names its own tenant; another one is refused
    staff_only = customer.post(
        "/test-sign-in/start",
        data={"tenant": "globex", "csrf_token": csrf.group(1) if csrf else ""},
    )
    assert staff_only.status_code == 302 and "/login" in staff_only.headers["Location"]
