"""The fixture chain emulator -> app -> database, on real PostgreSQL and Redis, and the leak scan.

The session's own database and Redis database number come from tests.support.environment;
Redis is emptied after every test, the database's tables after every test that used them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis as redis_lib
from sqlalchemy import text

from portal.workers import celery_of
from tests.support.environment import REGION, TEST_REDIS_URL
from tests.support.leakscan import LEAK_SCAN, database_text, redis_text
from tests.support.leakscan import install as install_leak_scan


@pytest.fixture(scope="session")
def local_cognito():
    """The strict local Cognito for the session; boto3 finds it via the standard setting."""
    from portal.devtools.emulator import Emulator

    emulator = Emulator(region=REGION).start()
    os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = emulator.endpoint
    from portal.cognito.gateway import make_client

    make_client.cache_clear()
    yield emulator
    emulator.stop()


@pytest.fixture
def cognito_emulator(local_cognito):
    """The emulator emptied, faults and quotas off."""
    local_cognito.reset()
    return local_cognito


@pytest.fixture(scope="session")
def app(local_cognito):
    """The portal app on the test database, migrated from empty by its own migrations."""
    from portal import create_app
    from portal.app import upgrade_database
    from portal.extensions import db

    application = create_app(
        {"TESTING": True},
        settings={"cognito_max_attempts": 6, "cognito_retry_base_seconds": 0.02},
    )
    with application.app_context():
        _drop_everything(db)
        upgrade_database()
    install_leak_scan(LEAK_SCAN, application)
    return application


def pytest_sessionfinish(session, exitstatus) -> None:
    """The leak scan's verdict over the whole session: any finding fails the run."""
    violations = LEAK_SCAN.finish()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and (LEAK_SCAN.idp_secrets or LEAK_SCAN.client_secrets):
        reporter.write_line(
            f"leak scan: {len(LEAK_SCAN.idp_secrets)} customer IdP secrets and "
            f"{len(LEAK_SCAN.client_secrets)} Cognito client secrets followed; "
            f"{len(violations)} finding(s)"
        )
    if violations:
        for line in sorted(set(violations))[:50]:
            if reporter is not None:
                reporter.write_line(f"LEAK: {line}", red=True)
        session.exitstatus = 1


def _drop_everything(db) -> None:
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            tables = (
                conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
                .scalars()
                .all()
            )
            for table in tables:
                if not table.startswith("sqlite_"):
                    conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))


@pytest.fixture
def redis_client() -> Iterator[redis_lib.Redis]:
    client = redis_lib.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield client
    LEAK_SCAN.check("Redis (keys and messages)", redis_text(client))
    client.flushdb()


@pytest.fixture
def db(app, redis_client):
    """An app context on an emptied database (the audit chain re-seeded)."""
    from portal.extensions import db as database

    # A test that built another app (say, with a broken database) made its Celery app the
    # current one; tasks applied in this test must run against the session's app.
    celery_of(app).set_current()
    celery_of(app).set_default()
    with app.app_context():
        yield database
        database.session.remove()
        LEAK_SCAN.check("the database (plain text)", database_text(database))
        _empty_tables(database)
        from portal.services.access.portal_settings import forget_cached

        forget_cached()


def _empty_tables(database) -> None:
    tables = [t.name for t in reversed(database.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our own table names
        conn.execute(
            text(
                "INSERT INTO audit_chain_head (id, last_hash, last_event_id, events) "
                "VALUES (1, :genesis, NULL, 0)"
            ),
            {"genesis": "0" * 64},
        )


@pytest.fixture(scope="session")
def oidc_idp():
    """A real OIDC provider on 127.0.0.1 playing the customer's IdP (discovery, JWKS, tokens)."""
    from oidc_provider_mock import User, run_server_in_thread

    users = [
        User(sub="alice", claims={"email": "alice@example.com", "app_groups": ["admins", "staff"]})
    ]
    with run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"
