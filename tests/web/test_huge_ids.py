"""Ids out of any column's range, in every route and query string, and absurdly deep JSON: a 404
or 400 with the usual page or problem document, never a 500 (on PostgreSQL and on SQLite)."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from portal.services.access.api_tokens import create_personal_token
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.web import csrf_token, isolated

# Just past PostgreSQL's `integer`, just past `bigint` (SQLite's bind limit), and far beyond.
HUGE = ("2147483648", "9223372036854775808", "99999999999999999999")
FILLERS = {"slug": "acme", "action": None, "token": "x" * 43}
TIMELINE = "2026-01-01T00:00:00+00:00~1~"


def _urls(app, value: str) -> list[tuple[str, str]]:
    """(method, url) for every route taking an integer, with VALUE in each integer."""
    found = []
    for rule in app.url_map.iter_rules():
        integers = [
            name
            for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)
        ]
        if not integers:
            continue
        values = {}
        for name, converter in rule._converters.items():
            if name in integers:
                values[name] = value
            elif getattr(converter, "items", None):  # <any(a, b):action>
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = FILLERS.get(name, "acme")
        path = rule.rule
        for name, converter_value in values.items():
            path = _replace(path, name, converter_value)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


def _replace(path: str, name: str, value: str) -> str:
    start = path.index("<")
    while start != -1:
        end = path.index(">", start)
        if path[start + 1 : end].split(":")[-1] == name:
            return path[:start] + value + path[end + 1 :]
        start = path.find("<", end)
    raise AssertionError(f"{name} not in {path}")


@pytest.mark.dialect
@pytest.mark.parametrize("value", HUGE)
def test_every_route_with_an_integer_answers_404_for_an_id_out_of_range(
    app, db, signed_in, users, value
):
    with acting_as(f.TEST_ACTOR):
        create_tenant("acme", "Acme", ["https://app.example.com/cb"])
        token = create_personal_token(users["admin"], "walker").plaintext
    admin = signed_in("admin")
    csrf = csrf_token(admin.get("/tenants").get_data(as_text=True))
    urls = _urls(app, value)
    assert len(urls) >= 10, urls  # the walk found the routes
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    for method, url in urls:
        if url.startswith("/api/"):
            response = isolated(lambda m=method, u=url: api.open(u, method=m, headers=bearer))
            assert response.status_code == 404, (method, url, response.status_code)
            assert response.content_type == "application/problem+json", (method, url)
            continue
        data = {"csrf_token": csrf} if method == "POST" else None
        response = isolated(lambda m=method, u=url, d=data: admin.client.open(u, method=m, data=d))
        assert response.status_code == 404, (method, url, response.status_code)
        assert "There is nothing at this address" in response.get_data(as_text=True)


@pytest.mark.dialect
@pytest.mark.parametrize("value", [*HUGE, "-1", "0", "1e9", "\u0661\u0662"])
def test_cursors_out_of_range_are_ignored_not_a_500(db, signed_in, value):
    with acting_as(f.TEST_ACTOR):
        create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    admin = signed_in("admin")
    pages = [
        f"/tenants/acme?before={value}",
        f"/audit?before={value}",
        f"/audit?after={value}",
        f"/audit/tenants/acme?before={TIMELINE}{value}",
        f"/audit/tenants/acme?after={TIMELINE}{value}",
        f"/audit/tenants/acme?before=2026-01-01T00:00:00%2B00:00~{value}~1",
    ]
    for url in pages:
        response = admin.get(url)
        assert response.status_code == 200, (url, response.status_code)
