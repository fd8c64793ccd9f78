"""Placing tenants across pools within their quotas; refusing before any call when all are full."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from portal.models import Tenant
from portal.services.pools.registry import NoPoolHasRoom, list_usage
from portal.validation import ValidationError
from tests.support import factories as f

pytestmark = [pytest.mark.dialect]


def fill_styles(emulator, pool_id: str, count: int) -> None:
    """Give the pool COUNT clients with styles that the portal does not own (the vendor's own)."""
    cognito = f.cognito_client()
    for number in range(count):
        client = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=f"vendor-app-{number}"
        )["UserPoolClient"]
        cognito.create_managed_login_branding(
            UserPoolId=pool_id, ClientId=client["ClientId"], UseCognitoProvidedValues=True
        )


@pytest.mark.slow
def test_tenants_spread_over_pools_and_skip_a_pool_with_20_styles(db, cognito_emulator, oidc_idp):
    full = cognito_emulator.seed(pools=1)[0]
    fill_styles(cognito_emulator, full.user_pool_id, 19)
    with f.acting_as(f.TEST_ACTOR):
        f.register_pool(full.user_pool_id, full.region)
    filler = f.tenant("filler", oidc_idp, pool_id=full.user_pool_id)
    assert f.run_now(f.onboard(filler)[0]) == "succeeded"  # the twentieth style
    roomy = f.pool(cognito_emulator)
    classic = f.pool(cognito_emulator, classic=True)

    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(4)]
    runs = f.onboard(*tenants)
    assert all(f.run_now(r) == "succeeded" for r in runs)

    placed = [db.session.get(Tenant, t.id).pool.user_pool_id for t in tenants]
    assert full.user_pool_id not in placed
    assert set(placed) == {roomy.user_pool_id, classic.user_pool_id}
    usage = {u.pool.user_pool_id: u for u in list_usage()}
    assert usage[full.user_pool_id].styles == 20 and not usage[full.user_pool_id].has_room


@pytest.mark.slow
def test_all_pools_full_is_refused_before_any_cognito_call(db, cognito_emulator, oidc_idp):
    already_full = cognito_emulator.seed(pools=1)[0]
    fill_styles(cognito_emulator, already_full.user_pool_id, 20)
    with f.acting_as(f.TEST_ACTOR), pytest.raises(ValidationError) as full_pool:
        f.register_pool(already_full.user_pool_id, already_full.region)
    assert "managed-login styles 20/20: full" in full_pool.value.message  # pools check blocks
    full = cognito_emulator.seed(pools=1)[0]
    fill_styles(cognito_emulator, full.user_pool_id, 19)
    with f.acting_as(f.TEST_ACTOR):
        f.register_pool(full.user_pool_id, full.region)
    filler = f.tenant("filler", oidc_idp, pool_id=full.user_pool_id)
    assert f.run_now(f.onboard(filler)[0]) == "succeeded"
    tenant = f.tenant("acme", oidc_idp)
    cognito_emulator.clear_calls()

    with pytest.raises(NoPoolHasRoom) as refused:
        f.onboard(tenant)

    assert "managed-login styles 20/20" in str(refused.value)
    assert "portal pools add" in str(refused.value)
    assert cognito_emulator.calls() == []
    assert db.session.get(Tenant, tenant.id).status == "draft"


@pytest.mark.slow
def test_the_twentieth_style_fills_the_pool(db, cognito_emulator, oidc_idp):
    only = cognito_emulator.seed(pools=1)[0]
    fill_styles(cognito_emulator, only.user_pool_id, 19)
    with f.acting_as(f.TEST_ACTOR):
        f.register_pool(only.user_pool_id, only.region)
    first, second = f.tenant("first", oidc_idp), f.tenant("second", oidc_idp)

    assert f.run_now(f.onboard(first)[0]) == "succeeded"
    with pytest.raises(NoPoolHasRoom):
        f.onboard(second)


def test_a_pinned_pool_is_used(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    pinned = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp, pool_id=pinned.user_pool_id)
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    assert db.session.get(Tenant, tenant.id).pool.user_pool_id == pinned.user_pool_id


def test_a_batch_fills_pools_in_turn_and_stops_at_the_first_tenant_without_room(
    db, cognito_emulator, oidc_idp
):
    """Queued together, each placement counts in the next: the emptier pool is chosen each time,
    no pool takes more than it has room for, and the tenant that finds every pool full is refused
    with every tenant before it queued (as if onboarded one by one)."""
    small = f.pool(cognito_emulator, max_clients=2)
    large = f.pool(cognito_emulator, max_clients=4)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(7)]

    with pytest.raises(NoPoolHasRoom) as refused:
        f.onboard(*tenants)

    db.session.expire_all()
    placed = [db.session.get(Tenant, t.id) for t in tenants]
    assert [t.status for t in placed] == ["queued"] * 6 + ["draft"]
    in_pool = [t.pool.user_pool_id for t in placed[:6]]
    assert in_pool.count(small.user_pool_id) == 2 and in_pool.count(large.user_pool_id) == 4
    assert "app clients 2/2" in str(refused.value) and "app clients 4/4" in str(refused.value)


def test_queueing_a_batch_costs_a_few_statements_a_chunk_not_a_few_a_tenant(
    db, cognito_emulator, oidc_idp
):
    """Chunks of 1, 2, 4, 8, 8, 8: the work the CLI does before the workers can start."""
    f.pool(cognito_emulator)
    f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n:02d}", oidc_idp) for n in range(31)]
    db.session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        runs = f.onboard(*tenants)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len({r.id for r in runs}) == 31
    # Reads, locks and updates, not the rows' own INSERTs (batched on PostgreSQL, one a row on
    # SQLite): 60 (10 a chunk) where placing and checking one tenant at a time made 297.
    other = [s for s in statements if not s.lstrip().upper().startswith("INSERT")]
    assert len(other) < 31 * 2, len(other)
    assert sorted(u.clients - u.pool.baseline_clients for u in list_usage()) == [15, 16]
