"""`tenants adopt`: hand-made tenants become ready tenants as found, without a write to Cognito."""

from __future__ import annotations

import json
import threading

from sqlalchemy import select

from portal.models import AuditEvent, RunStatus, Tenant, TenantStatus
from portal.services.adoption.adopt import adopt
from portal.services.adoption.scan import registered_pool
from portal.services.engine import lifecycle
from portal.services.pools.registry import usage
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support import handmade, saml
from tests.support.factories import fresh, run_latest

READS = ("Describe", "List", "Get")


def two_handmade_tenants(emulator, issuer: str) -> str:
    """acme from the console (every scope ticked, a style); globex from a script (custom:groups
    not readable, no style, a claimed e-mail domain). The registered pool's id."""
    pool_id = handmade.seed_pool(emulator)
    handmade.console_tenant(pool_id, "acme", issuer, scopes=handmade.CONSOLE_SCOPES)
    handmade.console_tenant(
        pool_id, "globex", issuer, groups_readable=False, style=False, identifiers=["globex.com"]
    )
    handmade.register(pool_id)
    return pool_id


def writes(emulator) -> list[str]:
    return [c.operation for c in emulator.calls() if not c.operation.startswith(READS)]


def adopt_all(pool_id: str, **options):
    with f.acting_as(f.TEST_ACTOR):
        return adopt(registered_pool(pool_id), **options)


def test_adoption_records_ready_tenants_as_found_and_writes_nothing_to_cognito(
    db, cognito_emulator, oidc_idp
):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    before = usage(registered_pool(pool_id))
    cognito_emulator.clear_calls()

    result = adopt_all(pool_id)

    assert writes(cognito_emulator) == []  # every call the emulator received was a read
    assert sorted(a.slug for a in result.adopted) == ["acme", "globex"]
    acme = db.session.scalar(select(Tenant).where(Tenant.slug == "acme"))
    globex = db.session.scalar(select(Tenant).where(Tenant.slug == "globex"))
    for tenant in (acme, globex):
        assert tenant.status == TenantStatus.READY and tenant.client_id
        assert tenant.issuer == oidc_idp and tenant.groups_claim == "groups"
        assert tenant.idp_secret_in_cognito and tenant.idp_client_secret_encrypted is None
        assert tenant.provider_created and tenant.pool.user_pool_id == pool_id
    assert acme.branding_id and globex.branding_id is None
    assert globex.idp_identifiers == ["globex.com"]  # kept in Cognito, shown unverified
    assert [(d.domain, d.state, d.legacy) for d in globex.domains] == [
        ("globex.com", "unverified", True)
    ]
    assert acme.callback_urls == ["https://acme.example.com/api/oidc/cognito/callback/"]
    # The pool's usage is the same: what nobody owned is now the tenants'.
    after = usage(registered_pool(pool_id))
    assert (after.clients, after.identity_providers, after.styles) >= (
        before.clients,
        before.identity_providers,
        before.styles - 1,
    )
    assert after.clients == before.clients and after.identity_providers == before.identity_providers

    # The live configuration is the desired state: planning shows no change, and only reads.
    cognito_emulator.clear_calls()
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(fresh(db, acme)).changes == 0
        assert lifecycle.plan_tenant(fresh(db, globex)).changes == 0
    assert writes(cognito_emulator) == []

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "tenant.adopted").order_by(AuditEvent.id)
    ).all()
    assert [e.tenant_id for e in events] == sorted([acme.id, globex.id])
    found = events[0].details["found"] if "found" in events[0].details else events[0].details
    assert "scopes" in json.dumps(found)
    assert handmade.HANDMADE_IDP_SECRET not in json.dumps([e.details for e in events])


def test_adopting_twice_adopts_nothing_new(db, cognito_emulator, oidc_idp):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    adopt_all(pool_id)
    tenants = db.session.scalars(select(Tenant.slug)).all()

    again = adopt_all(pool_id)

    assert again.adopted == [] and again.refused == []
    assert db.session.scalars(select(Tenant.slug)).all() == tenants


def test_an_adopted_tenant_onboarded_again_changes_nothing_in_cognito(
    db, cognito_emulator, oidc_idp
):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    adopt_all(pool_id)
    cognito_emulator.clear_calls()
    for slug in ("acme", "globex"):
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        assert f.run_now(f.onboard(tenant)[0]) == RunStatus.SUCCEEDED
        assert fresh(db, tenant).status == TenantStatus.READY
    assert writes(cognito_emulator) == []


def test_a_clashing_slug_gets_a_suffix_and_a_note(db, cognito_emulator, oidc_idp):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    with f.acting_as(f.TEST_ACTOR):
        create_tenant("acme-web", "Acme (made in the portal)", ["https://a.example.com/cb"])
    handmade.provider(pool_id, "acme-sso", oidc_idp)
    handmade.client(pool_id, "Acme Web", ["acme-sso"])

    result = adopt_all(pool_id, slug_from="client")

    adopted = {a.client_name: a for a in result.adopted}
    assert adopted["Acme Web"].slug == "acme-web-2"
    assert adopted["Acme Web"].note == "the slug acme-web was taken, so this tenant is acme-web-2"
    assert adopted["acme"].slug == "acme" and adopted["acme"].note is None


def test_only_the_clients_asked_for_are_adopted_and_a_dry_run_records_nothing(
    db, cognito_emulator, oidc_idp
):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    acme_id = next(
        c["ClientId"]
        for c in f.cognito_client().list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)[
            "UserPoolClients"
        ]
        if c["ClientName"] == "acme"
    )
    preview = adopt_all(pool_id, client_ids=[acme_id, "nosuchclient"], dry_run=True)
    assert [a.slug for a in preview.adopted] == ["acme"]
    assert [(r.client_id, r.reasons) for r in preview.refused] == [
        ("nosuchclient", ["no such app client in the pool"])
    ]
    assert db.session.scalars(select(Tenant)).all() == []

    adopt_all(pool_id, client_ids=[acme_id])
    assert db.session.scalars(select(Tenant.slug)).all() == ["acme"]
    refused = adopt_all(pool_id, client_ids=[acme_id]).refused
    assert refused[0].reasons == ["it belongs to a tenant of the portal already"]


def live_client(tenant: Tenant) -> dict:
    return f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]


def test_plan_standard_shows_and_apply_standard_makes_the_portal_standard(
    db, cognito_emulator, oidc_idp
):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    adopt_all(pool_id)
    acme = db.session.scalar(select(Tenant).where(Tenant.slug == "acme"))
    globex = db.session.scalar(select(Tenant).where(Tenant.slug == "globex"))
    cognito_emulator.clear_calls()
    with f.acting_as(f.TEST_ACTOR):
        acme_plan = lifecycle.plan_tenant(acme, standard=True)
        globex_plan = lifecycle.plan_tenant(globex, standard=True)
    assert writes(cognito_emulator) == []

    def changed(plan):
        return {(c["resource"], c["action"], c["field"]) for r in plan.resources for c in r.changes}

    assert ("app client", "update", "AllowedOAuthScopes") in changed(acme_plan)
    assert ("managed login style", "create", None) not in changed(acme_plan)
    assert ("app client", "update", "ReadAttributes") in changed(globex_plan)
    assert ("managed login style", "create", None) in changed(globex_plan)
    assert ("app client", "update", "AllowedOAuthScopes") not in changed(globex_plan)

    with f.acting_as(f.TEST_ACTOR):
        lifecycle.apply_tenant(fresh(db, globex), standard=True)
    assert run_latest(db, globex) == RunStatus.SUCCEEDED
    globex = fresh(db, globex)
    assert globex.status == TenantStatus.READY and globex.branding_id
    client = live_client(globex)
    assert "custom:groups" in client["ReadAttributes"]
    assert client["RefreshTokenValidity"] == 5  # what the standard does not cover is kept
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(globex).changes == 0
        assert lifecycle.plan_tenant(globex, standard=True).changes == 0
        lifecycle.apply_tenant(fresh(db, acme), standard=True)
    assert run_latest(db, acme) == RunStatus.SUCCEEDED
    assert live_client(acme)["AllowedOAuthScopes"] == ["openid"]
    assert db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "tenant.standardized", AuditEvent.tenant_id == acme.id
        )
    )


def test_a_change_that_needs_the_idp_secret_reads_it_from_cognito_at_apply_time(
    db, cognito_emulator, oidc_idp
):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    adopt_all(pool_id)
    acme = db.session.scalar(select(Tenant).where(Tenant.slug == "acme"))
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.update_tenant(acme, scopes="openid email profile")
        lifecycle.apply_tenant(fresh(db, acme))
    assert run_latest(db, acme) == RunStatus.SUCCEEDED

    provider = f.cognito_client().describe_identity_provider(
        UserPoolId=pool_id, ProviderName="acme"
    )["IdentityProvider"]
    assert provider["ProviderDetails"]["authorize_scopes"] == "openid email profile"
    assert provider["ProviderDetails"]["client_secret"] == handmade.HANDMADE_IDP_SECRET
    assert fresh(db, acme).idp_client_secret_encrypted is None  # sent back, never stored
    operations = [c.operation for c in cognito_emulator.calls()]
    assert "UpdateIdentityProvider" in operations


def test_an_adopted_tenant_can_be_offboarded_like_any_other(db, cognito_emulator, oidc_idp):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    adopt_all(pool_id)
    acme = db.session.scalar(select(Tenant).where(Tenant.slug == "acme"))
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.offboard(acme)
    assert run_latest(db, acme) == RunStatus.SUCCEEDED
    assert fresh(db, acme).status == TenantStatus.OFFBOARDED
    cognito = f.cognito_client()
    names = [
        c["ClientName"]
        for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)[
            "UserPoolClients"
        ]
    ]
    providers = cognito.list_identity_providers(UserPoolId=pool_id, MaxResults=60)["Providers"]
    assert names == ["globex"] and [p["ProviderName"] for p in providers] == ["globex"]


def test_two_adoptions_at_the_same_moment_adopt_each_client_once(
    app, db, cognito_emulator, oidc_idp
):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    start = threading.Barrier(2)
    results, errors = [], []

    def adopt_in_own_session() -> None:
        with app.app_context():
            try:
                start.wait()
                results.append(adopt_all(pool_id))
            except Exception as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=adopt_in_own_session) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(a.slug for r in results for a in r.adopted) == ["acme", "globex"]
    assert sorted(db.session.scalars(select(Tenant.slug))) == ["acme", "globex"]


def test_an_adopted_tenant_moves_to_another_pool_as_found(db, cognito_emulator, oidc_idp):
    pool_id = two_handmade_tenants(cognito_emulator, oidc_idp)
    adopt_all(pool_id)
    target = f.pool(cognito_emulator)
    acme = db.session.scalar(select(Tenant).where(Tenant.slug == "acme"))
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.start_move(acme, target)
    assert run_latest(db, acme) == RunStatus.SUCCEEDED

    acme = fresh(db, acme)
    assert acme.pool.user_pool_id == target.user_pool_id and acme.status == TenantStatus.READY
    client = live_client(acme)
    assert client["ClientName"] == "acme"  # the name it was adopted with
    assert client["AllowedOAuthScopes"] == handmade.CONSOLE_SCOPES
    provider = f.cognito_client().describe_identity_provider(
        UserPoolId=target.user_pool_id, ProviderName="acme"
    )["IdentityProvider"]
    assert provider["ProviderDetails"]["client_secret"] == handmade.HANDMADE_IDP_SECRET
    assert acme.idp_client_secret_encrypted is None
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(acme).changes == 0


def test_a_saml_tenant_is_adopted_as_found(db, cognito_emulator, oidc_idp):
    pool_id = handmade.seed_pool(cognito_emulator)
    handmade.saml_provider(pool_id, "contoso", saml.idp_metadata(), IDPSignout="true")
    handmade.client(pool_id, "contoso", ["contoso"], style=False)
    handmade.register(pool_id)
    cognito_emulator.clear_calls()

    [adopted] = adopt_all(pool_id).adopted

    assert writes(cognito_emulator) == []
    assert "no managed-login style (the client has no login pages)" in adopted.deviations
    contoso = db.session.scalar(select(Tenant).where(Tenant.slug == "contoso"))
    assert contoso.is_saml and contoso.status == TenantStatus.READY
    assert contoso.saml_entity_id == saml.ENTITY_ID and contoso.saml_cert_expires_at
    assert contoso.saml_idp_signout and not contoso.saml_encrypted_responses
    assert contoso.email_attribute == handmade.EMAIL_URI
    assert contoso.groups_claim == handmade.GROUPS_URI
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(contoso).changes == 0
        standard = lifecycle.plan_tenant(contoso, standard=True)
    changed = {(c["resource"], c["field"]) for r in standard.resources for c in r.changes}
    assert ("managed login style", None) in changed
    assert ("identity provider", "AttributeMapping") not in changed  # the e-mail URI is kept
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.apply_tenant(fresh(db, contoso), standard=True)
    assert run_latest(db, contoso) == RunStatus.SUCCEEDED
    assert fresh(db, contoso).branding_id
