"""Hostile input shown back to people: every displayed field is escaped, nothing runs."""

from __future__ import annotations

from portal.services.actors import acting_as
from portal.services.tenants import create_tenant
from tests import factories as f
from tests.web.conftest import signed_in, users  # noqa: F401 - fixtures

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_hostile_tenant_name_is_escaped_on_every_page_that_shows_it(
    signed_in,  # noqa: F811 - the imported fixture
    db,
    cognito_emulator,
):
    with acting_as(f.TEST_ACTOR):
        create_tenant("evil", PAYLOAD, ['https://app.example.com/cb?q="><script>x</script>'])
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
