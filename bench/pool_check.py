"""What `portal pools check` costs: Cognito calls and seconds, by the size of the pool.

Runs in one process against the local emulator and SQLite:
    .venv/bin/python bench/pool_check.py
"""

from __future__ import annotations

import collections
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
WORK = Path(tempfile.mkdtemp(prefix="portal-bench-"))
os.environ.update(
    {
        "PORTAL_INSTANCE_PATH": str(WORK),
        "PORTAL_DATABASE_URL": f"sqlite:///{WORK / 'bench.db'}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
    }
)
for key in ("PORTAL_REDIS_URL", "PORTAL_BROKER_URL", "AWS_PROFILE"):
    os.environ.pop(key, None)


def main() -> None:
    from portal import create_app
    from portal.app import upgrade_database
    from portal.devtools.emulator import Emulator
    from portal.services.audit.actors import Actor, acting_as
    from portal.services.pools.registry import inspect_pool

    emulator = Emulator().start()
    os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = emulator.endpoint
    app = create_app()
    rows = []
    with app.app_context(), acting_as(Actor("cli", "b", "bench")):
        upgrade_database()
        for clients, version in ((0, 2), (100, 2), (100, 1)):
            seeded = emulator.seed(pools=1 if version == 2 else 0, classic_pools=int(version == 1))
            pool_id = seeded[0].user_pool_id
            for n in range(clients):
                emulator.app.invoke(
                    "CreateUserPoolClient", {"UserPoolId": pool_id, "ClientName": f"c{n}"}
                )
            emulator.clear_calls()
            started = time.perf_counter()
            check = inspect_pool(pool_id)
            seconds = time.perf_counter() - started
            ops = collections.Counter(c.operation for c in emulator.calls())
            probes = sum(1 for c in emulator.calls() if c.error_code)
            kind = "managed login" if version == 2 else "classic"
            rows.append((f"{clients} clients, {kind}", sum(ops.values()), probes, seconds, check))
    emulator.stop()
    print(f"{'pool':<28} {'calls':>5} {'refused':>7} {'seconds':>7}  verdict")
    for label, calls, probes, seconds, check in rows:
        verdict = "can take tenants" if check.can_take_tenants else "blocked"
        print(f"{label:<28} {calls:>5} {probes:>7} {seconds:>7.2f}  {verdict}")


if __name__ == "__main__":
    main()
