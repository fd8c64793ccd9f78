"""Claimed e-mail domains: refused names, DNS proof, first verification wins, Cognito."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Run, TenantDomain, TenantStatus
from portal.services.audit.actors import acting_as
from portal.services.domains import claims, names, verification
from portal.services.engine.lifecycle import offboard
from portal.services.tenants.records import create_tenant
from portal.validation import ValidationError
from tests.support import factories as f


def draft(slug: str):
    with acting_as(f.TEST_ACTOR):
        return create_tenant(slug, slug.title(), ["https://app.example.com/callback"])


def claim(tenant, domain: str) -> TenantDomain:
    with acting_as(f.TEST_ACTOR):
        return claims.claim_domain(tenant, domain)


def publish_token(dns_zone, tenant, domain: str) -> None:
    dns_zone.publish(claims.txt_name(domain), "some-other-verification=x", tenant.domain_token)


def actions(db, tenant) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action.like("domain.%"))
            .order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize(
    ("domain", "why"),
    [
        ("gmail.com", "public e-mail service"),
        ("Outlook.com", "public e-mail service"),
        ("yahoo.co.uk", "public e-mail service"),
        ("co.uk", "public suffix"),
        ("github.io", "public suffix"),
        ("com", "not a domain name"),
    ],
)
def test_public_mail_domains_and_public_suffixes_are_refused_with_the_reason(domain, why):
    with pytest.raises(ValidationError, match=why) as refused:
        names.normalise(domain)
    assert refused.value.field == "domains"


def test_an_own_domain_under_a_public_suffix_is_accepted():
    assert names.parse("acme.co.uk, @Team.Acme.io") == ["acme.co.uk", "team.acme.io"]


def test_a_claim_is_unverified_and_shows_the_tenants_txt_record(db):
    tenant = draft("acme")
    made = claim(tenant, "acme.com")
    assert (made.state, made.in_cognito) == ("unverified", False)
    assert tenant.idp_identifiers == []
    assert claims.txt_name("acme.com") == "_cognito-portal.acme.com"
    assert len(tenant.domain_token) == 32
    second = claim(tenant, "acme.org")
    assert tenant.domain_token == f.fresh(db, tenant).domain_token  # one token per tenant
    assert second.domain == "acme.org"
    assert actions(db, tenant) == ["domain.claimed", "domain.claimed"]


def test_the_txt_record_verifies_a_claim_and_a_second_check_changes_nothing(db, dns_zone):
    tenant = draft("acme")
    claim(tenant, "acme.com")

    assert verification.check_tenant(tenant) == []
    row = f.fresh(db, tenant).domains[0]
    assert row.state == "unverified"
    assert row.check_result == "no TXT record at _cognito-portal.acme.com yet"

    dns_zone.publish("_cognito-portal.acme.com", "not-the-token")
    verification.check_tenant(f.fresh(db, tenant))
    assert "not with this token" in f.fresh(db, tenant).domains[0].check_result

    publish_token(dns_zone, tenant, "acme.com")
    verified = verification.check_tenant(f.fresh(db, tenant))
    assert [d.domain for d in verified] == ["acme.com"]
    row = f.fresh(db, tenant).domains[0]
    assert (row.state, row.method, row.verified_by) == ("verified", "dns", "DNS check")
    assert f.fresh(db, tenant).idp_identifiers == ["acme.com"]

    asked = len(dns_zone.queries)
    assert verification.check_tenant(f.fresh(db, tenant)) == []  # nothing left to check
    assert len(dns_zone.queries) == asked
    assert actions(db, tenant).count("domain.verified") == 1


def test_a_dns_server_that_does_not_answer_leaves_the_claim_for_later(db, dns_zone):
    tenant = draft("acme")
    claim(tenant, "slow.example")
    dns_zone.silent.add("_cognito-portal.slow.example")
    assert verification.check_tenant(tenant) == []
    row = f.fresh(db, tenant).domains[0]
    assert row.state == "unverified"
    assert row.check_result == "DNS did not answer within 1 s; checked again later"


@pytest.mark.dialect  # the partial unique index decides who verified first
def test_squatting_blocks_nobody_and_the_first_to_verify_wins(db, dns_zone):
    squatter, owner = draft("squatter"), draft("owner")
    claim(squatter, "acme.com")
    claim(owner, "acme.com")  # the unverified claim above does not block the real owner

    publish_token(dns_zone, owner, "acme.com")
    verification.check_tenant(owner)

    assert [d.state for d in f.fresh(db, owner).domains] == ["verified"]
    assert f.fresh(db, squatter).domains == []  # the loser's claim is gone, audited
    assert actions(db, squatter) == ["domain.claimed", "domain.lost"]
    with pytest.raises(claims.DomainTaken) as taken:
        claim(f.fresh(db, squatter), "acme.com")
    assert "already verified by another organisation" in taken.value.message
    assert "owner" not in taken.value.message.lower()  # not told by whom


def test_a_record_published_by_the_loser_cannot_take_a_verified_domain(db, dns_zone):
    first, second = draft("first"), draft("second")
    claim(first, "acme.com")
    claim(second, "acme.com")
    publish_token(dns_zone, first, "acme.com")
    verification.check_tenant(first)
    # both tokens published (say, a shared DNS admin): the domain stays with the first
    dns_zone.publish(claims.txt_name("acme.com"), first.domain_token, second.domain_token)
    with acting_as(f.TEST_ACTOR), pytest.raises(claims.DomainTaken):
        claims.claim_domain(f.fresh(db, second), "acme.com")
    assert db.session.scalars(select(TenantDomain.tenant_id)).all() == [first.id]


def test_staff_verify_by_hand_only_with_a_reason_which_is_audited(db):
    tenant = draft("acme")
    claim(tenant, "acme.com")
    with acting_as(f.TEST_ACTOR):
        with pytest.raises(ValidationError, match="Say why") as missing:
            claims.verify_by_hand(tenant, "acme.com", "   ")
        assert missing.value.field == "reason"
        claims.verify_by_hand(tenant, "acme.com", "contract 2026-114 names acme.com")
    row = f.fresh(db, tenant).domains[0]
    assert (row.state, row.method, row.verified_by) == ("verified", "manual", "tester@example.com")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "domain.verified"))
    assert event.actor_label == "tester@example.com"
    assert event.details["reason"] == "contract 2026-114 names acme.com"
    assert event.details["method"] == "manual"


def test_the_beat_sweep_checks_each_claim_once_per_interval(db, dns_zone):
    tenant = draft("acme")
    claim(tenant, "acme.com")
    claim(tenant, "acme.org")
    assert verification.sweep() == 0
    assert sorted(dns_zone.queries) == ["_cognito-portal.acme.com", "_cognito-portal.acme.org"]
    assert verification.sweep() == 0  # checked a moment ago: not due again
    assert len(dns_zone.queries) == 2

    publish_token(dns_zone, tenant, "acme.org")
    for row in f.fresh(db, tenant).domains:
        row.checked_at = None  # as if PORTAL_DNS_CHECK_MINUTES had passed
    db.session.commit()
    assert verification.sweep() == 1
    states = {d.domain: d.state for d in f.fresh(db, tenant).domains}
    assert states == {"acme.com": "unverified", "acme.org": "verified"}


def test_an_offboarded_tenants_domains_are_free_again(db):
    first, second = draft("first"), draft("second")
    claim(first, "acme.com")
    with acting_as(f.TEST_ACTOR):
        claims.verify_by_hand(first, "acme.com", "checked by phone")
        offboard(first)
    assert f.fresh(db, first).status == TenantStatus.OFFBOARDED
    assert f.fresh(db, first).domains == []
    with acting_as(f.TEST_ACTOR):
        claims.claim_domain(second, "acme.com")
        claims.verify_by_hand(second, "acme.com", "new owner")
    assert f.fresh(db, second).idp_identifiers == ["acme.com"]


@pytest.mark.slow  # onboards a tenant in the emulator, then runs a reconcile: about 5 s
def test_only_verified_domains_reach_cognito_and_a_verification_applies_itself(
    db, local_cognito, oidc_idp, dns_zone
):
    tenant = f.ready_tenant(local_cognito, oidc_idp)
    claim(tenant, "acme.com")
    claim(tenant, "beta.example")

    def live_identifiers() -> list[str]:
        provider = f.cognito_client().describe_identity_provider(
            UserPoolId=tenant.pool.user_pool_id, ProviderName=tenant.provider_name
        )["IdentityProvider"]
        return sorted(provider.get("IdpIdentifiers") or [])

    runs_before = db.session.scalars(select(Run.id)).all()
    assert live_identifiers() == []
    publish_token(dns_zone, tenant, "beta.example")
    verification.check_tenant(f.fresh(db, tenant))
    assert f.fresh(db, tenant).status == TenantStatus.QUEUED  # a reconcile run was queued
    assert len(db.session.scalars(select(Run.id)).all()) == len(runs_before) + 1
    assert f.run_latest(db, tenant) == "succeeded"
    assert live_identifiers() == ["beta.example"]  # acme.com is still only claimed


@pytest.mark.slow  # onboards a tenant in the emulator and runs a reconcile: about 5 s
def test_a_domain_another_provider_holds_in_the_pool_fails_the_run_with_what_to_do(
    db, local_cognito, oidc_idp
):
    tenant = f.ready_tenant(local_cognito, oidc_idp)
    f.cognito_client().create_identity_provider(  # made outside the portal, in the same pool
        UserPoolId=tenant.pool.user_pool_id,
        ProviderName="outsider",
        ProviderType="OIDC",
        ProviderDetails={
            "client_id": "x",
            "client_secret": "y",
            "authorize_scopes": "openid",
            "oidc_issuer": oidc_idp,
            "attributes_request_method": "GET",
        },
        IdpIdentifiers=["acme.com"],
    )
    claim(tenant, "acme.com")
    with acting_as(f.TEST_ACTOR):
        claims.verify_by_hand(tenant, "acme.com", "contract")
    assert f.run_latest(db, tenant) == "failed"
    error = f.fresh(db, tenant).last_error
    assert "already an identifier of another identity provider" in error
    assert "remove the domain from one of the two tenants" in error


@pytest.mark.slow  # onboards a tenant in the emulator and runs reconciles: about 6 s
def test_a_run_made_before_a_verification_is_followed_by_one_from_beat(db, local_cognito, oidc_idp):
    """The earlier run may be past its provider step when the domain is verified; beat's
    catch-up queues one more run (once) rather than leaving the identifier to the drift check."""
    tenant = f.ready_tenant(local_cognito, oidc_idp)
    claim(tenant, "acme.com")
    with acting_as(f.TEST_ACTOR):
        under_way = f.onboard(tenant)[0]  # a run made before the verification
        claims.verify_by_hand(tenant, "acme.com", "contract")
    assert db.session.scalars(select(Run.id)).all()[-1] == under_way.id  # not a second one
    assert f.run_now(under_way) == "succeeded"

    with acting_as(f.TEST_ACTOR):
        caught_up = claims.catch_up()
        assert caught_up == [tenant.id]
        assert claims.catch_up() == []  # the new run covers the change: nothing more
    assert f.run_latest(db, tenant) == "succeeded"
    provider = f.cognito_client().describe_identity_provider(
        UserPoolId=tenant.pool.user_pool_id, ProviderName=tenant.provider_name
    )["IdentityProvider"]
    assert provider["IdpIdentifiers"] == ["acme.com"]


@pytest.mark.slow  # 40 lookups that time out after 1 s, side by side: about 3 s
@pytest.mark.timeout(20)  # one after the other they would take 40 s
def test_check_now_on_many_silent_domains_waits_a_few_timeouts_not_one_each(db, dns_zone):
    tenant = draft("acme")
    with acting_as(f.TEST_ACTOR):
        for n in range(40):
            claims.add_claim(tenant, f"d{n}.example")
            dns_zone.silent.add(f"_cognito-portal.d{n}.example")
        db.session.commit()
    assert verification.check_tenant(tenant) == []
    results = {d.check_result for d in f.fresh(db, tenant).domains}
    assert results == {"DNS did not answer within 1 s; checked again later"}


@pytest.mark.slow  # onboards, then offboards a tenant in the emulator: about 5 s
def test_offboarding_a_ready_tenant_frees_its_verified_domains(db, local_cognito, oidc_idp):
    tenant = f.ready_tenant(local_cognito, oidc_idp)
    claim(tenant, "acme.com")
    with acting_as(f.TEST_ACTOR):
        claims.verify_by_hand(tenant, "acme.com", "contract")
    assert f.run_latest(db, tenant) == "succeeded"
    with acting_as(f.TEST_ACTOR):
        offboard(f.fresh(db, tenant))
    assert f.run_latest(db, tenant) == "succeeded"
    assert f.fresh(db, tenant).status == TenantStatus.OFFBOARDED
    assert f.fresh(db, tenant).domains == []
    assert "domain.released" in actions(db, tenant)
    other = draft("newco")
    with acting_as(f.TEST_ACTOR):
        claims.claim_domain(other, "acme.com")
        claims.verify_by_hand(other, "acme.com", "the domain changed hands")
