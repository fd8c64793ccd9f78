"""Setup links as a service and from the CLI: tokens, states, one active link, audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, LinkState, SetupLink, utcnow
from portal.services.audit.actors import acting_as
from portal.services.selfservice import setup_links as links
from portal.services.tenants.records import create_tenant
from portal.validation import ValidationError
from tests.support import factories as f
from tests.support.selfservice import new_link
from tests.support.workers import ROOT


def draft(slug: str = "acme"):
    with acting_as(f.TEST_ACTOR):
        return create_tenant(slug, slug.title(), ["https://app.example.com/callback"])


def test_a_link_has_a_256_bit_token_of_which_only_the_hash_is_kept(db):
    tenant = draft()
    link, token = new_link(tenant)
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    stored = db.session.execute(select(SetupLink.__table__)).mappings().one()
    assert token not in json.dumps({k: str(v) for k, v in stored.items()})
    assert stored["token_hash"] == links.hash_token(token)
    assert links.resolve(token).id == link.id
    assert links.link_url(token) == f"http://localhost:8000/setup/{token}"


def test_tokens_are_unique_and_a_near_miss_resolves_to_nothing(db):
    tenant = draft()
    _, token = new_link(tenant)
    tokens = {new_link(tenant)[1] for _ in range(5)}
    assert len(tokens) == 5 and token not in tokens
    for guess in (token[:-1] + ("A" if token[-1] != "A" else "B"), token.upper(), "", "x" * 43):
        assert links.resolve(guess) is None


@pytest.mark.dialect
def test_creating_a_link_revokes_the_previous_one(db):
    tenant = draft()
    first, first_token = new_link(tenant)
    second, _ = new_link(tenant)
    db.session.expire_all()
    assert db.session.get(SetupLink, first.id).state() == LinkState.REVOKED
    assert db.session.get(SetupLink, first.id).revoke_reason == "replaced by a new link"
    assert db.session.get(SetupLink, second.id).state() == LinkState.ACTIVE
    assert not links.is_open(links.resolve(first_token))
    active = db.session.scalar(
        select(func.count()).where(SetupLink.tenant_id == tenant.id, SetupLink.revoked_at.is_(None))
    )
    assert active == 1


@pytest.mark.dialect
def test_the_database_refuses_two_active_links_for_one_tenant(db):
    from sqlalchemy.exc import IntegrityError

    tenant = draft()
    new_link(tenant)
    db.session.add(
        SetupLink(
            tenant_id=tenant.id,
            token_hash="0" * 64,
            created_by="someone",
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_states_expired_revoked_and_a_link_revoked_after_expiry_counts_as_expired(db):
    tenant = draft()
    link, token = new_link(tenant, timedelta(hours=1))
    assert link.state() == LinkState.ACTIVE
    assert link.state(utcnow() + timedelta(hours=2)) == LinkState.EXPIRED
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert not links.is_open(links.resolve(token))
    with acting_as(f.TEST_ACTOR):
        links.revoke_link(link)
    assert link.state() == LinkState.EXPIRED
    other, _ = new_link(draft("other"))
    with acting_as(f.TEST_ACTOR):
        assert links.revoke_link(other) is True
        assert links.revoke_link(other) is False
    assert other.state() == LinkState.REVOKED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        (" 12H ", timedelta(hours=12)),
    ],
)
def test_durations(text, expected):
    assert links.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "1y", "2 days", "-1d", "1m", "91d", "0h"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValidationError) as caught:
        links.parse_duration(text)
    assert caught.value.field == "expires"


def test_every_link_change_is_audited_with_who_did_it(db):
    tenant = draft()
    link, _ = new_link(tenant)
    new_link(tenant)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [(e.action, e.actor_label) for e in events if e.action.startswith("setup_link")]
    assert actions == [
        ("setup_link.created", "tester@example.com"),
        ("setup_link.revoked", "tester@example.com"),
        ("setup_link.created", "tester@example.com"),
    ]
    assert events[-1].details["replaced_link_id"] == link.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.com", ["example.com"]),
        ("Example.COM, @sub.example.org\nexample.com", ["example.com", "sub.example.org"]),
        ("bücher.example", ["xn--bcher-kva.example"]),
        ("", []),
    ],
)
def test_email_domains_are_normalised(db, text, expected):
    assert links.check_domains(text, draft()) == expected


@pytest.mark.parametrize(
    "text", ["localhost", "exa mple.com", "-bad.com", "1.2.3.4", "a" * 40 + ".com", "x@y.com"]
)
def test_bad_email_domains_are_refused(db, text):
    with pytest.raises(ValidationError) as caught:
        links.check_domains(text, draft())
    assert caught.value.field == "domains"


def test_only_a_domain_another_tenant_verified_is_refused(db):
    from portal.services.domains import claims

    first = draft("first")
    with acting_as(f.TEST_ACTOR):
        claims.claim_domain(first, "acme.com")
        second = draft("second")
        assert links.check_domains("acme.com", second) == ["acme.com"]  # squatting blocks nobody
        claims.verify_by_hand(first, "acme.com", "signed contract names acme.com")
    with pytest.raises(ValidationError, match="already verified by another organisation") as no:
        links.check_domains("acme.com", second)
    assert "first" not in str(no.value.message).lower()  # not told by whom


def portal_cli(*args: str):
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )


@pytest.mark.slow
def test_cli_creates_a_link_prints_it_once_and_revokes_it(db):
    tenant = draft()
    made = portal_cli("tenants", "setup-link", "acme", "--expires", "2h", "--json")
    assert made.returncode == 0, made.stderr
    document = json.loads(made.stdout)
    assert document["url"].startswith("http://localhost:8000/setup/")
    token = document["url"].rsplit("/", 1)[1]
    link = links.resolve(token)
    assert link.tenant_id == tenant.id
    assert timedelta(minutes=119) < link.expires_at - utcnow() <= timedelta(hours=2)
    assert token not in made.stderr  # shown once, on stdout only

    plain = portal_cli("tenants", "setup-link", "acme")
    assert plain.returncode == 0
    assert plain.stdout.strip().startswith("http://localhost:8000/setup/")
    assert "no longer works" in plain.stderr
    db.session.expire_all()
    assert links.resolve(token).state() == LinkState.REVOKED

    revoked = portal_cli("tenants", "revoke-link", "acme", "--json")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["revoked"] is True
    again = portal_cli("tenants", "revoke-link", "acme")
    assert again.returncode == 2 and "no setup link" in again.stderr
    actor = db.session.scalars(
        select(AuditEvent.actor_type).where(AuditEvent.action == "setup_link.created")
    ).all()
    assert set(actor) == {"cli"}


@pytest.mark.slow
def test_cli_refuses_bad_input_with_exit_2(db):
    draft()
    assert portal_cli("tenants", "setup-link", "nobody").returncode == 2
    bad = portal_cli("tenants", "setup-link", "acme", "--expires", "forever")
    assert bad.returncode == 2 and "not a duration" in bad.stderr
