"""A tenant's timeline pages forwards and backwards through everything, missing nothing."""

from __future__ import annotations

import pytest

from portal.models import Tenant
from portal.services.audit.actors import acting_as
from portal.services.audit.query import Cursor, describe, tenant_timeline
from portal.services.tenants.records import create_tenant
from tests.support.audit import bulk_chain, seed_events
from tests.support.factories import TEST_ACTOR


def walk(tenant: Tenant, forwards: bool) -> list[tuple[str, int]]:
    """Every item, following the Later (or, from the latest page, the Earlier) links."""
    pages = []
    page = tenant_timeline(tenant, limit=40, latest=not forwards)
    while True:
        pages.append([(i.kind, i.id) for i in page.items])
        cursor = page.later if forwards else page.earlier
        if cursor is None:
            break
        parsed = Cursor.parse(str(cursor))  # as the link carries it
        assert parsed == cursor
        if forwards:
            page = tenant_timeline(tenant, after=parsed, limit=40)
        else:
            page = tenant_timeline(tenant, before=parsed, limit=40)
    ordered = pages if forwards else list(reversed(pages))
    return [item for items in ordered for item in items]


@pytest.mark.dialect
def test_paging_both_ways_covers_every_item_once_in_time_order(db):
    with acting_as(TEST_ACTOR):
        acme = create_tenant("acme", "Acme", ["https://app.example.com/cb"])
        other = create_tenant("other", "Other", ["https://app.example.com/cb"])
    bulk_chain(db, 130, tenant_id=acme.id)
    bulk_chain(db, 50, tenant_id=other.id)
    seed_events(db, 3, tenant=acme)

    forwards = walk(acme, forwards=True)
    backwards = walk(acme, forwards=False)
    assert len(forwards) == 1 + 130 + 3 and len(set(forwards)) == len(forwards)
    assert forwards == backwards
    ids = [ident for kind, ident in forwards]
    assert ids == sorted(ids)  # events only here: time order is id order


@pytest.mark.dialect
def test_a_bad_cursor_starts_from_the_beginning(db):
    assert Cursor.parse("nonsense") is None
    assert Cursor.parse("2026-01-01T00:00:00~0~1") is None  # no time zone: refused
    assert Cursor.parse("2026-01-01T00:00:00+00:00~1~7").id == 7


def test_details_are_described_briefly():
    lines = describe(
        {
            "before": {"status": "draft", "issuer": None},
            "after": {"status": "queued", "issuer": "https://idp.example.com"},
            "run_id": 4,
            "changes": [{"action": "create", "resource": "app client", "field": None}],
        }
    )
    assert lines == [
        "status: draft → queued",
        "issuer: — → https://idp.example.com",
        "run_id: 4",
        "changes: create app client",
    ]
