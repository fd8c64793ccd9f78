"""The fixture chain emulator -> app -> database, on real PostgreSQL and Redis, and the leak scan.

The session's own database and Redis database number come from tests.support.environment;
Redis is emptied after every test, the database's tables after every test that used them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
import redis as redis_lib
from sqlalchemy import text

from portal.workers import celery_of
from tests.support.environment import REGION, TEST_REDIS_URL
from tests.support.leakscan import LEAK_SCAN, Tally, database_text, redis_text
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


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with argon2's cheapest parameters in the test process.

    The portal's parameters cost about 0.15 s a hash and as much a check; hundreds of tests make
    users and sign in, and at full cost the hashing took a third of the web tests' time. The same
    code hashes and verifies, and a hash made with the real parameters (by a CLI subprocess) still
    verifies.
    """
    from argon2 import PasswordHasher, profiles

    from portal.services.access import users

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
        yield


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


# The controller's collection of the workers' verdicts (pytest-xdist only).
WORKER_TALLIES = pytest.StashKey[list[Tally]]()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist controller: keep the leak-scan verdict a worker sent when it finished."""
    sent = getattr(node, "workeroutput", {}).get("leak_scan")
    if sent is not None:
        node.config.stash.setdefault(WORKER_TALLIES, []).append(Tally(**sent))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The leak scan's verdict over the whole session: any finding fails the run.

    Under xdist a worker's exit status never reaches the controller, so each worker hands its
    verdict over in workeroutput and the controller adds them up and fails the run.
    """
    config = session.config
    tally = LEAK_SCAN.tally()
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller gives the verdict
        config.workeroutput["leak_scan"] = asdict(tally)
        return
    for sent in config.stash.get(WORKER_TALLIES, []):
        tally.add(sent)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and (tally.idp_secrets or tally.client_secrets or tally.violations):
        reporter.write_line(tally.summary())
    if tally.violations:
        for line in sorted(set(tally.violations))[:50]:
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


# Tables whose triggers refuse DELETE (the append-only audit trail).
GUARDED_TABLES = text(
    "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger "
    "WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY(:tables)"
)
RESTART_SEQUENCES = text(
    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s "
    "JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = current_schema()::regnamespace"
)


def _empty_tables(database) -> None:
    """Empty every table and restart the ids, as TRUNCATE ... RESTART IDENTITY would.

    On PostgreSQL, TRUNCATE makes a new file per table: 0.16 s a test for all of them, against a
    few milliseconds for DELETE on the rows one test leaves. So only the tables whose triggers
    refuse DELETE are truncated; the rest are deleted from, and the sequences set back.
    """
    tables = [t.name for t in reversed(database.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        truncated: list[str] = []
        if database.engine.dialect.name == "postgresql":
            truncated = list(conn.execute(GUARDED_TABLES, {"tables": tables}).scalars())
            if truncated:
                conn.execute(text("TRUNCATE " + ", ".join(truncated) + " CASCADE"))
        for table in tables:
            if table not in truncated:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our own table names
        if database.engine.dialect.name == "postgresql":
            conn.execute(RESTART_SEQUENCES)
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
