"""Count the Cognito calls one onboarding makes, by operation, on each kind of pool.

Runs in one process against the local emulator, SQLite and a local OIDC provider:
    .venv/bin/python bench/calls_per_onboarding.py
"""

from __future__ import annotations

import collections
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
WORK = Path(tempfile.mkdtemp(prefix="portal-bench-"))
os.environ.update(
    {
        "PORTAL_INSTANCE_PATH": str(WORK),
        "PORTAL_DATABASE_URL": f"sqlite:///{WORK / 'bench.db'}",
        "PORTAL_ALLOW_LOOPBACK_ISSUERS": "1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
    }
)
for key in ("PORTAL_REDIS_URL", "PORTAL_BROKER_URL", "AWS_PROFILE"):
    os.environ.pop(key, None)


def main() -> None:
    from oidc_provider_mock import run_server_in_thread
    from sqlalchemy import select

    from portal import create_app
    from portal.app import upgrade_database
    from portal.devtools.emulator import Emulator
    from portal.extensions import db
    from portal.models import CognitoCall
    from portal.services.audit.actors import Actor, acting_as
    from portal.services.engine.execution import execute_run
    from portal.services.engine.queue import queue_onboarding
    from portal.services.pools.registry import register_pool
    from portal.services.tenants.records import create_tenant, set_idp

    emulator = Emulator().start()
    os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = emulator.endpoint
    app = create_app()
    with app.app_context(), run_server_in_thread() as idp, acting_as(Actor("cli", "b", "bench")):
        upgrade_database()
        issuer = f"http://localhost:{idp.server_port}"
        v2, classic = emulator.seed(pools=1, classic_pools=1)
        register_pool(v2.user_pool_id)
        register_pool(classic.user_pool_id)

        def onboard(slug: str, pool_id: str) -> dict[str, int]:
            tenant = create_tenant(slug, slug, ["https://app.example.com/cb"], pool_id=pool_id)
            set_idp(tenant, issuer=issuer, client_id="c", client_secret="s")
            [run] = queue_onboarding([tenant])
            execute_run(run.id, "bench")
            return count(run.id)

        def count(run_id: int) -> dict[str, int]:
            rows = db.session.scalars(select(CognitoCall).where(CognitoCall.run_id == run_id))
            return dict(collections.Counter(r.operation for r in rows))

        cases = [
            ("first tenant on a managed-login pool", onboard("first", v2.user_pool_id)),
            ("next tenant on that pool", onboard("second", v2.user_pool_id)),
            ("first tenant on a classic pool", onboard("third", classic.user_pool_id)),
            ("next tenant on that pool", onboard("fourth", classic.user_pool_id)),
        ]
        from portal.services.tenants.records import get_tenant

        [again] = queue_onboarding([get_tenant("second")])
        execute_run(again.id, "bench")
        cases.append(("reconcile of a ready tenant (nothing to change)", count(again.id)))
    emulator.stop()
    print(f"{'case':<50} {'calls':>5}  operations")
    for label, ops in cases:
        detail = ", ".join(f"{op} x{n}" if n > 1 else op for op, n in ops.items())
        print(f"{label:<50} {sum(ops.values()):>5}  {detail}")


if __name__ == "__main__":
    main()
