"""The test session's environment: its own database, Redis database number and instance folder.

PORTAL_TEST_DATABASE picks the database: `postgresql` (default; the `test` database on
127.0.0.1) or `sqlite` (a file in a temporary folder). Under pytest-xdist each worker gets its
own PostgreSQL database (`test_gw0`, `test_gw1`, ...) and its own Redis database number (15,
14, ...), so workers never see each other's rows, queues or rate-limiter keys. Every process a
test starts (workers, the CLI, `portal dev`) inherits these settings through os.environ.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]  # the checkout
REGION = "us-east-1"
BASE_REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASE_PG_URL = os.environ.get("PORTAL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_NUMBER = int(XDIST_WORKER.removeprefix("gw")) if XDIST_WORKER else 0
INSTANCE = Path(tempfile.mkdtemp(prefix="portal-tests-"))


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=path))


def _redis_url() -> str:
    base_db = int(urlsplit(BASE_REDIS_URL).path.lstrip("/") or 0)
    number = base_db - WORKER_NUMBER
    if number < 0:
        raise RuntimeError(f"too many xdist workers for Redis databases below {base_db}")
    return _with_path(BASE_REDIS_URL, f"/{number}")


def _postgresql_url() -> str:
    """The base database, or under xdist `<base>_gwN`, created if it does not exist yet."""
    if not XDIST_WORKER:
        return BASE_PG_URL
    import psycopg

    name = urlsplit(BASE_PG_URL).path.lstrip("/") + "_" + XDIST_WORKER
    with psycopg.connect(BASE_PG_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return _with_path(BASE_PG_URL, f"/{name}")


def _database_url() -> str:
    kind = os.environ.get("PORTAL_TEST_DATABASE", "postgresql")
    if kind == "sqlite":
        return f"sqlite:///{INSTANCE / 'portal-test.db'}"
    if kind == "postgresql":
        return _postgresql_url()
    raise RuntimeError(f"PORTAL_TEST_DATABASE must be postgresql or sqlite, not {kind!r}")


TEST_REDIS_URL = _redis_url()
TEST_DATABASE_URL = _database_url()

# Settings every process of the test session shares (subprocess workers read them too).
os.environ.update(
    {
        "PORTAL_ENV": "development",
        "PORTAL_INSTANCE_PATH": str(INSTANCE),
        "PORTAL_SECRET_KEY": "test-secret-key-" + Fernet.generate_key().decode()[:16],
        "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PORTAL_DATABASE_URL": TEST_DATABASE_URL,
        "PORTAL_BROKER_URL": TEST_REDIS_URL,
        "PORTAL_REDIS_URL": TEST_REDIS_URL,
        "PORTAL_ALLOW_LOOPBACK_ISSUERS": "1",
        "PORTAL_PUBLIC_URL": "http://localhost:8000",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
)
for _key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_key, None)
