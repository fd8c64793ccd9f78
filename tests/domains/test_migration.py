"""The migration moves existing identifiers into claims: unverified, kept in Cognito if there."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.app import init_migrations
from portal.models import Tenant, TenantDomain

pytestmark = [pytest.mark.dialect]
BEFORE = "c65f0aac9eda-1"  # the revision before this one, whatever it is after re-chaining
OWN_TABLES = {"tenant_domains"}


def test_the_table_matches_the_model(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    text_of = [str(d) for d in diffs]
    assert [d for d in text_of if "tenant_domains" in d or "domain_token" in d] == []
    assert [d for d in text_of if "idp_identifiers" in d] == []  # the old column is gone


def _insert_tenant(db, slug: str, status: str, provider_created: bool, identifiers: str) -> None:
    db.session.execute(
        text(
            "INSERT INTO tenants (slug, name, status, pool_pinned, callback_urls, logout_urls, "
            "idp_secret_in_cognito, authorize_scopes, groups_claim, attributes_request_method, "
            "idp_identifiers, provider_name, client_name, client_create_started, "
            "provider_created, remove_federated_users, created_at, updated_at) VALUES (:slug, "
            ":slug, :status, false, '[]', '[]', false, 'openid email', 'groups', 'GET', "
            ":identifiers, :slug, :slug, false, :made, false, :now, :now)"
        ),
        {
            "slug": slug,
            "status": status,
            "identifiers": identifiers,
            "made": provider_created,
            "now": "2026-12-01 10:00:00",
        },
    )


def test_identifiers_become_unverified_claims_and_those_in_cognito_are_kept(app, db):
    init_migrations(app)
    downgrade(revision=BEFORE)
    try:
        _insert_tenant(db, "ready", "ready", True, '["acme.com", "Acme.org"]')
        _insert_tenant(db, "draft", "draft", False, '["draft.example"]')
        _insert_tenant(db, "gone", "offboarded", True, '["gone.example"]')
        _insert_tenant(db, "none", "ready", True, "[]")
        db.session.commit()
    finally:
        upgrade()
    db.session.expire_all()
    claims = {
        (c.tenant.slug, c.domain): (c.state, c.legacy, c.in_cognito)
        for c in db.session.query(TenantDomain)
    }
    assert claims == {
        ("ready", "acme.com"): ("unverified", True, True),
        ("ready", "Acme.org"): ("unverified", True, True),
        ("draft", "draft.example"): ("unverified", False, False),
    }
    ready = db.session.query(Tenant).filter_by(slug="ready").one()
    assert sorted(ready.idp_identifiers) == ["Acme.org", "acme.com"]  # Cognito keeps them
    assert len(ready.domain_token) == 32
    assert db.session.query(Tenant).filter_by(slug="none").one().domain_token is None
