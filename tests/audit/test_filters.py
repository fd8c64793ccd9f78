"""The audit filter's one matching rule, on both databases: parts of tenants and actors, families
and words of actions, the same for the page, the exports, the CLI and the API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portal.cognito.resources import STEPS_BY_NAME
from portal.services.audit import query
from portal.services.audit.actors import Actor, acting_as
from portal.services.audit.query import KNOWN_ACTIONS, AuditFilter, events_page
from portal.services.tenants.records import create_tenant
from portal.validation import ValidationError
from tests.support.audit import seed_events
from tests.support.factories import TEST_ACTOR

pytestmark = [pytest.mark.dialect]
ROOT = Path(__file__).resolve().parents[2]


def make_tenant(slug: str, name: str | None = None):
    with acting_as(TEST_ACTOR):
        return create_tenant(slug, name or slug.title(), ["https://app.example.com/cb"])


def actions(flt: AuditFilter) -> list[str]:
    """Every matching action, newest first, walking the pages as the log does."""
    seen: list[str] = []
    before = None
    while True:
        page = events_page(flt, before=before, limit=3)
        seen += [event.action for event, _slug in page.rows]
        if page.older is None:
            return seen
        before = page.older


def test_a_tenant_matches_any_part_of_its_slug_or_name_ignoring_case(db):
    eu, us = make_tenant("globex-eu"), make_tenant("globex-us")
    acme = make_tenant("acme", "Acme, a Globex company")
    initech = make_tenant("initech")
    for tenant in (eu, us, acme, initech):
        seed_events(db, 1, f"test.{tenant.slug}", tenant=tenant)

    found = set(actions(AuditFilter(tenant="GLOBEX", action="test.")))
    assert found == set()  # "test." is a family of none the portal lists: nothing, not all
    found = {a for a in actions(AuditFilter(tenant="GLOBEX")) if a.startswith("test.")}
    assert found == {"test.globex-eu", "test.globex-us", "test.acme"}
    assert [a for a in actions(AuditFilter(tenant="x-u")) if a.startswith("test.")] == [
        "test.globex-us"
    ]
    with pytest.raises(ValidationError, match="no tenant's slug or name contains “umbrella”"):
        events_page(AuditFilter(tenant="umbrella"))


def test_a_tenant_added_or_renamed_after_a_filtered_page_is_matched_by_the_next(db):
    """The matches of a tenant text are kept between pages, never past a tenant's change."""
    eu = make_tenant("globex-eu")
    seed_events(db, 1, "test.globex-eu", tenant=eu)
    assert "test.globex-eu" in actions(AuditFilter(tenant="globex"))

    us = make_tenant("globex-us")
    seed_events(db, 1, "test.globex-us", tenant=us)
    acme = make_tenant("acme")
    seed_events(db, 1, "test.acme", tenant=acme)
    assert {"test.globex-eu", "test.globex-us"} <= set(actions(AuditFilter(tenant="globex")))

    acme.name = "Acme, now part of Globex"
    db.session.commit()
    assert "test.acme" in actions(AuditFilter(tenant="globex"))


def test_an_actor_matches_any_part_ignoring_case_and_wildcards_are_literal(db):
    for label in ("admin@example.com", "ops-admin@example.com", "staff@example.com", "50%_off"):
        seed_events(db, 1, f"test.{label}", actor=Actor("user", label, label))

    assert sorted(actions(AuditFilter(actor="ADMIN"))) == [
        "test.admin@example.com",
        "test.ops-admin@example.com",
    ]
    assert len(actions(AuditFilter(actor="example.com"))) == 3
    assert actions(AuditFilter(actor="%_")) == ["test.50%_off"]  # not "anything"
    assert actions(AuditFilter(actor="f_o")) == []  # _ is not "any one character"


def test_an_action_matches_exactly_by_family_or_by_word(db):
    recorded = [
        "secret.revealed",
        "client_secret.rotation_started",
        "client_secret.kept",
        "idp_secret.expiring",
        "tenant.created",
        "custom.thing",
    ]
    for action in recorded:
        seed_events(db, 1, action, actor=Actor("system", None, "system"))
    system = AuditFilter(actor_type="system")

    def matching(action: str) -> set[str]:
        return set(actions(AuditFilter(actor_type="system", action=action)))

    assert matching("client_secret.") == {"client_secret.rotation_started", "client_secret.kept"}
    assert matching("client_secret.*") == matching("client_secret.")
    assert matching("secret") == {
        "secret.revealed",
        "client_secret.rotation_started",
        "client_secret.kept",
        "idp_secret.expiring",
    }
    assert matching("Secret.Revealed") == {"secret.revealed"}
    assert matching("secret.revealed") == {"secret.revealed"}
    assert matching("custom.thing") == {"custom.thing"}  # an action the list lacks, typed whole
    assert matching("nothing") == set()
    assert len(actions(system)) == len(recorded)


@pytest.mark.parametrize("merge", [0, 50])
def test_pages_of_a_few_tenants_and_of_many_hold_the_same_events(db, monkeypatch, merge):
    """Up to MERGE_TENANTS each tenant is read on its own and merged; beyond, by id. Same pages."""
    monkeypatch.setattr(query, "MERGE_TENANTS", merge)
    tenants = [make_tenant(f"shop-{n}") for n in range(3)]
    make_tenant("other")
    for n in range(4):
        for tenant in tenants:
            seed_events(db, 1, f"test.{tenant.slug}.{n}", tenant=tenant)
    expected = [f"test.shop-{t}.{n}" for n in reversed(range(4)) for t in reversed(range(3))]
    newest_first = [a for a in actions(AuditFilter(tenant="shop")) if a.startswith("test.")]
    assert newest_first == expected
    # Walking back up with ?after= gives the same events in the same order.
    flt = AuditFilter(tenant="shop", action="test.shop-0.0")
    first = events_page(flt)
    assert [e.action for e, slug in first.rows] == ["test.shop-0.0"]
    assert [slug for _e, slug in first.rows] == ["shop-0"]
    page = events_page(AuditFilter(tenant="shop"), after=first.rows[0][0].id, limit=4)
    assert [e.action for e, _ in page.rows] == expected[-5:-1]
    assert page.newer is not None


def test_the_cli_export_filters_the_same_way(db, app):
    globex = make_tenant("globex-eu")
    seed_events(db, 2, "client_secret.kept", tenant=globex)
    seed_events(db, 1, "secret.revealed", tenant=make_tenant("acme"))
    result = app.test_cli_runner().invoke(
        args=["audit", "export", "--format", "jsonl", "--tenant", "Globex", "--action", "secret"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["audit_export"]["filter"] == {"tenant": "Globex", "action": "secret"}
    assert [(e["action"], e["tenant"]) for e in lines[1:]] == [
        ("client_secret.kept", "globex-eu")
    ] * 2


def test_the_action_list_holds_every_action_the_portal_records():
    """The pick-list, families and words resolve against KNOWN_ACTIONS: it must be complete."""
    literal = re.compile(r'record\(\s*"([a-z_]+\.[a-z_.]+)"|_queue_kind\([^)]*"([a-z_]+\.[a-z_]+)"')
    recorded = set()
    for path in (ROOT / "portal").rglob("*.py"):
        for match in literal.finditer(path.read_text()):
            recorded.add(match.group(1) or match.group(2))
    assert {"tenant.created", "secret.revealed", "client_secret.retiring"} <= recorded
    assert recorded - set(KNOWN_ACTIONS) == set()
    # Each Cognito step records cognito.<step>.<outcome>: the list has each step's.
    for name in STEPS_BY_NAME:
        assert any(a.startswith(f"cognito.{name}.") for a in KNOWN_ACTIONS), name
