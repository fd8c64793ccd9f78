"""Time beat's domain-claim sweep: 100 due claims against a local DNS server, answering or silent.

Needs an empty scratch PostgreSQL database (its tables are dropped and migrated):
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/domains_sweep.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.update(
    {
        "PORTAL_INSTANCE_PATH": tempfile.mkdtemp(prefix="portal-bench-"),
        "PORTAL_DATABASE_URL": os.environ.get(
            "BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench"
        ),
    }
)
for key in ("PORTAL_REDIS_URL", "PORTAL_BROKER_URL"):
    os.environ.pop(key, None)
TENANTS, DOMAINS = 10, 10


def main() -> None:
    from sqlalchemy import text

    from portal import create_app
    from portal.app import upgrade_database
    from portal.config import EXTENSION_KEY, settings_of
    from portal.extensions import db
    from portal.services.audit.actors import Actor, acting_as
    from portal.services.domains import claims, verification
    from portal.services.tenants.records import create_tenant
    from tests.support.dns import dns_server

    app = create_app({})
    with app.app_context(), acting_as(Actor("cli", "bench", "bench")), dns_server() as dns:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade_database()
        app.extensions[EXTENSION_KEY] = replace(
            settings_of(app), dns_resolvers=(("127.0.0.1", dns.port),), dns_timeout_seconds=1.0
        )
        names = []
        for t in range(TENANTS):
            tenant = create_tenant(f"tenant{t}", f"Tenant {t}", ["https://app.example.com/cb"])
            for n in range(DOMAINS):
                claims.add_claim(tenant, f"d{n}.t{t}.example")
                names.append(claims.txt_name(f"d{n}.t{t}.example"))
                if n % 2 == 0:
                    dns.publish(names[-1], tenant.domain_token)
            db.session.commit()
        started = time.perf_counter()
        verified = verification.sweep()
        print(
            f"{len(names)} due claims, half with the record, DNS answering: "
            f"{time.perf_counter() - started:.2f} s, {verified} verified"
        )
        db.session.execute(text("UPDATE tenant_domains SET checked_at = NULL"))
        db.session.commit()
        dns.silent.update(names)
        started = time.perf_counter()
        verification.sweep()
        print(
            f"the {len(names) - verified} left, DNS silent (1 s timeout): "
            f"{time.perf_counter() - started:.2f} s"
        )


if __name__ == "__main__":
    main()
