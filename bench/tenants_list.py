"""Time the tenants list pages with 10,000 tenants on PostgreSQL (search, filter, sort, deep pages).

Needs an empty scratch PostgreSQL database (its tables are dropped and migrated):
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/tenants_list.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
WORK = Path(tempfile.mkdtemp(prefix="portal-bench-"))
os.environ.update(
    {
        "PORTAL_INSTANCE_PATH": str(WORK),
        "PORTAL_DATABASE_URL": os.environ.get(
            "BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench"
        ),
    }
)
for key in ("PORTAL_REDIS_URL", "PORTAL_BROKER_URL"):
    os.environ.pop(key, None)
TENANTS = 10_000
URLS = [
    "/tenants",
    "/tenants?page=200",
    "/tenants?sort=created&dir=desc&page=150",
    "/tenants?status=failed&sort=updated",
    "/tenants?q=zeta",
    "/tenants?q=t0999",
    "/tenants?pool=none&sort=slug&dir=desc&page=50",
]


def main() -> None:
    from sqlalchemy import insert, select, text

    from portal import create_app
    from portal.app import upgrade_database
    from portal.extensions import db
    from portal.models import Tenant, TenantDomain, TenantStatus, utcnow
    from portal.services.access.users import create_user
    from portal.services.audit.actors import Actor, acting_as

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context(), acting_as(Actor("cli", "bench", "bench")):
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade_database()
        now = utcnow()
        db.session.execute(
            insert(Tenant),
            [
                {
                    "slug": f"t{n:05d}",
                    "name": f"Zeta {n:05d}" if n % 50 == 0 else f"Customer {n:05d}",
                    "status": TenantStatus.FAILED if n % 10 == 0 else TenantStatus.READY,
                    "pool_id": None,
                    "pool_pinned": False,
                    "callback_urls": ["https://app.example.com/cb"],
                    "logout_urls": [],
                    "idp_secret_in_cognito": True,
                    "authorize_scopes": "openid email",
                    "groups_claim": "groups",
                    "attributes_request_method": "GET",
                    "provider_name": f"t{n:05d}",
                    "client_name": f"portal-t{n:05d}",
                    "client_create_started": True,
                    "provider_created": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(TENANTS)
            ],
        )
        # two claimed e-mail domains a tenant, one verified: the list loads them with its page
        ids = db.session.scalars(select(Tenant.id)).all()
        db.session.execute(
            insert(TenantDomain),
            [
                {
                    "tenant_id": tenant_id,
                    "domain": f"{kind}{tenant_id}.example",
                    "state": "verified" if kind == "v" else "unverified",
                    "legacy": False,
                    "claimed_at": now,
                    "claimed_by": "bench",
                }
                for tenant_id in ids
                for kind in ("v", "u")
            ],
        )
        create_user("bench@example.com", "auditor", "bench-password-123")
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.com", "password": "bench-password-123"})
    print(f"{TENANTS} tenants on PostgreSQL; median and worst of 20 requests per page\n")
    print(f"{'page':50} {'median ms':>10} {'max ms':>8}")
    for url in URLS:
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{url:50} {statistics.median(timings):10.1f} {max(timings):8.1f}")


if __name__ == "__main__":
    main()
