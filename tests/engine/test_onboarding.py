"""Onboarding end to end against the strict local Cognito, executed in this process."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal.cognito.pool_notes import ProcessPoolNotes, RedisPoolNotes
from portal.models import CognitoCall, Run, RunStatus, StepStatus, Tenant, TenantStatus, UserPool
from portal.services.engine import kinds
from portal.services.engine.execution import execute_run
from portal.services.engine.gateways import redis_client
from tests.support import factories as f


def run_operations(db, run_id: int) -> list[str]:
    calls = db.session.scalars(
        select(CognitoCall).where(CognitoCall.run_id == run_id).order_by(CognitoCall.id)
    )
    return [c.operation for c in calls]


def test_fresh_onboarding_creates_exactly_the_five_resources(db, cognito_emulator, oidc_idp):
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp, roles_claim="roles")
    [run] = f.onboard(tenant)

    assert f.run_now(run) == "succeeded"

    tenant = db.session.get(Tenant, tenant.id)
    assert tenant.status == TenantStatus.READY
    cognito = f.cognito_client()
    client = cognito.describe_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["acme"]
    assert client["AllowedOAuthScopes"] == ["openid"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(client["WriteAttributes"]) == {"email", "custom:groups", "custom:roles"}
    assert {"email", "custom:groups", "custom:roles"} <= set(client["ReadAttributes"])
    assert "https://app.example.com/callback" in client["CallbackURLs"]
    assert client["ClientSecret"]
    provider = cognito.describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="acme"
    )["IdentityProvider"]
    assert provider["ProviderDetails"]["oidc_issuer"] == oidc_idp
    assert provider["AttributeMapping"]["email"] == "email"
    assert provider["AttributeMapping"]["custom:groups"] == "app_groups"
    assert provider["AttributeMapping"]["custom:roles"] == "roles"
    style = cognito.describe_managed_login_branding_by_client(
        UserPoolId=pool.user_pool_id, ClientId=tenant.client_id
    )["ManagedLoginBranding"]
    assert style["ManagedLoginBrandingId"] == tenant.branding_id
    # The customer's secret is purged once Cognito holds it; the Cognito secret is never stored.
    assert tenant.idp_client_secret_encrypted is None and tenant.idp_secret_in_cognito
    # Cognito's order: what the client names exists before the client, created whole once.
    steps = db.session.get(Run, run.id).steps
    assert [(s.name, s.outcome) for s in steps] == [
        ("attributes", "created"),
        ("provider", "created"),
        ("app_client", "created"),
        ("attach", "created"),  # by the client's create: no call of its own
        ("managed_login", "created"),
    ]
    # The pool was read when it was registered and lacked them: added without reading again.
    assert run_operations(db, run.id) == [
        "AddCustomAttributes",
        "CreateIdentityProvider",
        "CreateUserPoolClient",
        "CreateManagedLoginBranding",
    ]


def test_second_tenant_on_a_known_pool_needs_three_calls(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    first, second = f.tenant("acme", oidc_idp), f.tenant("globex", oidc_idp)
    runs = f.onboard(first, second)
    assert [f.run_now(r) for r in runs] == ["succeeded", "succeeded"]

    # custom:groups can never be deleted, so once seen the pool need not be read again.
    # One write per resource: the fewest any portal can make (bench/onboarding.py's bound).
    assert run_operations(db, runs[1].id) == [
        "CreateIdentityProvider",
        "CreateUserPoolClient",
        "CreateManagedLoginBranding",
    ]


def test_a_run_queued_in_the_console_order_still_converges(db, cognito_emulator, oidc_idp):
    """Runs queued before the order changed hold their steps client first: the client is then
    created bare (what it would name does not exist yet) and attached in step 4, as before."""
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    console_order = ["app_client", "attributes", "provider", "attach", "managed_login"]
    for step in run.steps:
        step.position = console_order.index(step.name) + 1
    db.session.commit()

    assert f.run_now(run) == "succeeded"

    assert run_operations(db, run.id) == [
        "CreateUserPoolClient",
        "AddCustomAttributes",
        "CreateIdentityProvider",
        "UpdateUserPoolClient",
        "CreateManagedLoginBranding",
    ]
    tenant = db.session.get(Tenant, tenant.id)
    client = f.cognito_client().describe_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["acme"]
    assert "custom:groups" in client["WriteAttributes"]
    outcomes = {s.name: s.outcome for s in db.session.get(Run, run.id).steps}
    assert outcomes["attach"] == "updated"


@pytest.mark.parametrize("added_by_hand", [["groups"], ["groups", "roles"]])
def test_an_attribute_added_by_hand_after_registration_is_read_and_kept(
    db, cognito_emulator, oidc_idp, added_by_hand
):
    """The pool's record says it lacks the attributes, but someone added them in the console
    since: Cognito refuses the add as a whole, the pool is read, and only what is missing is
    added (or nothing). Run twice: the second run changes nothing."""
    pool = f.pool(cognito_emulator)
    f.cognito_client().add_custom_attributes(
        UserPoolId=pool.user_pool_id,
        CustomAttributes=[
            {"Name": name, "AttributeDataType": "String", "Mutable": True} for name in added_by_hand
        ],
    )
    tenant = f.tenant("acme", oidc_idp, roles_claim="roles")
    [run] = f.onboard(tenant)

    assert f.run_now(run) == "succeeded"

    made = run_operations(db, run.id)
    expected_added = [] if len(added_by_hand) == 2 else ["AddCustomAttributes"]
    assert made[: made.index("CreateIdentityProvider")] == [
        "AddCustomAttributes",
        "DescribeUserPool",
        *expected_added,
    ]
    outcome = {s.name: s.outcome for s in db.session.get(Run, run.id).steps}["attributes"]
    assert outcome == ("created" if expected_added else "unchanged")
    schema = f.cognito_client().describe_user_pool(UserPoolId=pool.user_pool_id)["UserPool"]
    names = [a["Name"] for a in schema["SchemaAttributes"]]
    assert names.count("custom:groups") == 1 and names.count("custom:roles") == 1
    client = f.cognito_client().describe_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientId=db.session.get(Tenant, tenant.id).client_id
    )["UserPoolClient"]
    assert {"custom:groups", "custom:roles"} <= set(client["WriteAttributes"])

    [again] = f.onboard(db.session.get(Tenant, tenant.id))
    assert f.run_now(again) == "succeeded"
    assert "AddCustomAttributes" not in run_operations(db, again.id)


def test_a_custom_attribute_of_the_wrong_kind_stops_the_run_with_the_reason(
    db, cognito_emulator, oidc_idp
):
    """An immutable custom:groups added by hand after registration: identity providers cannot
    write it, and custom attributes can never change, so the run fails and says so."""
    pool = f.pool(cognito_emulator)
    f.cognito_client().add_custom_attributes(
        UserPoolId=pool.user_pool_id,
        CustomAttributes=[{"Name": "groups", "AttributeDataType": "String", "Mutable": False}],
    )
    [run] = f.onboard(f.tenant("acme", oidc_idp))

    assert f.run_now(run) == "failed"

    error = db.session.get(Run, run.id).error
    assert "custom:groups" in error and "not a mutable String" in error


def test_classic_pool_gets_no_managed_login_style(db, cognito_emulator, oidc_idp):
    pool = f.pool(cognito_emulator, classic=True)
    cognito_emulator.clear_calls()  # registering probed permissions; onboarding is what counts
    tenant = f.tenant("initech", oidc_idp)
    [run] = f.onboard(tenant)

    assert f.run_now(run) == "succeeded"

    run = db.session.get(Run, run.id)
    assert [s.status for s in run.steps][-1] == StepStatus.SKIPPED
    assert "CreateManagedLoginBranding" not in run_operations(db, run.id)
    styles = [c for c in cognito_emulator.calls() if "ManagedLoginBranding" in c.operation]
    assert styles == []
    assert db.session.get(Tenant, tenant.id).pool.user_pool_id == pool.user_pool_id


def test_onboarding_a_ready_tenant_reads_and_changes_nothing(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [first] = f.onboard(tenant)
    f.run_now(first)
    client_before = f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]

    [second] = f.onboard(db.session.get(Tenant, tenant.id))
    assert second.id != first.id and second.kind == "reconcile"
    assert f.run_now(second) == "succeeded"

    assert run_operations(db, second.id) == [
        "DescribeIdentityProvider",
        "DescribeUserPoolClient",
        "DescribeManagedLoginBrandingByClient",
    ]
    client_after = f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert client_after == client_before


def test_changed_callback_urls_keep_every_other_client_field(db, cognito_emulator, oidc_idp):
    """UpdateUserPoolClient resets omitted fields: the engine must always send all of them."""
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp, roles_claim="roles")
    f.run_now(f.onboard(tenant)[0])
    cognito = f.cognito_client()
    before = cognito.describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]

    tenant = db.session.get(Tenant, tenant.id)
    tenant.callback_urls = ["https://new.example.com/callback"]
    db.session.commit()
    run = f.onboard(tenant)[0]
    assert f.run_now(run) == "succeeded"

    after = cognito.describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert "https://new.example.com/callback" in after["CallbackURLs"]
    assert "https://app.example.com/callback" not in after["CallbackURLs"]
    for field in (
        "SupportedIdentityProviders",
        "AllowedOAuthScopes",
        "AllowedOAuthFlows",
        "AllowedOAuthFlowsUserPoolClient",
        "ReadAttributes",
        "WriteAttributes",
        "LogoutURLs",
        "ExplicitAuthFlows",
        "TokenValidityUnits",
        "ClientSecret",
        "ClientName",
    ):
        assert after.get(field) == before.get(field), field
    assert "UpdateUserPoolClient" in run_operations(db, run.id)


def test_drift_made_behind_the_portals_back_is_repaired(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    f.run_now(f.onboard(tenant)[0])
    cognito = f.cognito_client()
    pool_id = tenant.pool.user_pool_id
    # Someone edits the client in the console and sends only a name: everything else resets.
    cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=tenant.client_id, ClientName="x")
    cognito.delete_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=db.session.get(Tenant, tenant.id).branding_id
    )

    run = f.onboard(db.session.get(Tenant, tenant.id))[0]
    assert f.run_now(run) == "succeeded"

    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=tenant.client_id)
    assert client["UserPoolClient"]["SupportedIdentityProviders"] == ["acme"]
    assert client["UserPoolClient"]["AllowedOAuthScopes"] == ["openid"]
    style = cognito.describe_managed_login_branding_by_client(
        UserPoolId=pool_id, ClientId=tenant.client_id
    )
    assert style["ManagedLoginBranding"]["ManagedLoginBrandingId"]


@pytest.mark.parametrize("processes", ["one worker process", "a worker process per run"])
def test_runs_starting_together_on_a_new_pool_read_its_attributes_once(
    app, db, cognito_emulator, oidc_idp, monkeypatch, processes
):
    """Six first runs on a new pool, on six threads of one worker or in six worker processes
    (each with its own notes, sharing Redis): one AddCustomAttributes, not six, and no read
    (DescribeUserPool allows 5 calls a second per pool)."""
    f.pool(cognito_emulator)
    runs = f.onboard(*(f.tenant(f"tenant-{n}", oidc_idp) for n in range(6)))
    run_ids = [r.id for r in runs]
    cognito_emulator.clear_calls()
    barrier = threading.Barrier(len(run_ids))
    results: list[str] = []
    if processes == "a worker process per run":
        notes = threading.local()

        def own_process_notes():
            if not hasattr(notes, "mine"):
                notes.mine = RedisPoolNotes(redis_client(), ProcessPoolNotes())
            return notes.mine

        monkeypatch.setattr(kinds, "pool_notes", own_process_notes)

    def work(run_id: int) -> None:
        with app.app_context():
            barrier.wait()
            results.append(execute_run(run_id, f"worker-{run_id}").status)

    threads = [threading.Thread(target=work, args=(i,)) for i in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert results == [RunStatus.SUCCEEDED] * len(run_ids)
    made = [c.operation for c in cognito_emulator.calls()]
    assert made.count("DescribeUserPool") == 0
    assert made.count("AddCustomAttributes") == 1
    assert made.count("CreateUserPoolClient") == len(run_ids)


def test_a_run_never_waits_for_a_pool_row_that_queueing_holds(db, cognito_emulator, oidc_idp):
    """Queueing locks the open pools' rows while it places tenants; a first run on the pool does
    not wait for them to note the pool's attributes (a later run notes them)."""
    pool = f.pool(cognito_emulator)
    first, second = f.tenant("acme", oidc_idp), f.tenant("globex", oidc_idp)
    runs = f.onboard(first, second)
    with db.engine.connect() as other:  # another transaction places tenants in the pool
        locked = other.begin()
        other.execute(
            select(UserPool.id).where(UserPool.id == pool.id).with_for_update(key_share=True)
        ).all()
        assert f.run_now(runs[0]) == "succeeded"
        locked.rollback()
    db.session.expire_all()
    assert db.session.get(UserPool, pool.id).custom_attributes in (None, [])

    assert f.run_now(runs[1]) == "succeeded"
    db.session.expire_all()
    assert "custom:groups" in db.session.get(UserPool, pool.id).custom_attributes
