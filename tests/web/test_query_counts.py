"""Each busy page reads the database in a fixed, small number of queries, however many tenants
and events it shows: a query per row would make the page slower with every tenant added."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from portal.models import User
from portal.services.access.api_tokens import create_personal_token
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support.factories import TEST_ACTOR

# The most queries each page may make (sign-in check included), measured when written; a change
# that needs more should say why here.
BUDGET = {
    "/tenants?q=customer&sort=name": 5,  # session, count, page, pools, setup links
    "/tenants/customer-02": 7,  # session, tenant, domains, runs, events, draft, moves
    # session, the page's event ids then their rows (a few tenants' index scans merged), slugs,
    # chain head, two verifications, checkpoint
    "/audit": 8,
    # The browser cookie the test client also sends, token, its tenants, count, page, domains, runs
    "/api/v1/tenants?per_page=50": 7,
}


@contextmanager
def counting(engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "FROM portal_settings" not in statement:  # cached 5 s per process: not per page
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _add_tenants(start: int, stop: int) -> None:
    with acting_as(TEST_ACTOR):
        for n in range(start, stop):
            create_tenant(
                f"customer-{n:02d}",
                f"Customer {n:02d}",
                [f"https://app{n}.example.com/callback"],
                [],
            )


@pytest.mark.parametrize("path", list(BUDGET))
def test_a_page_makes_the_same_few_queries_for_3_or_12_tenants(app, db, signed_in, path):
    browser = signed_in("admin")
    admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    with acting_as(TEST_ACTOR):
        token = create_personal_token(admin, "query count").plaintext
    headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
    counts = []
    for start, stop in ((0, 3), (3, 12)):
        _add_tenants(start, stop)
        browser.get(path, headers=headers)  # the first request fills per-process caches
        with counting(db.engine) as statements:
            response = browser.get(path, headers=headers)
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 3 tenants, {counts[1]} for 12"
    made = "\n".join(s[:150] for s in statements)
    assert counts[1] <= BUDGET[path], f"{path} made {counts[1]} queries:\n{made}"
