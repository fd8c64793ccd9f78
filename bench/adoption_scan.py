"""Scan and adopt a pool of hand-made tenants: Cognito calls by operation, throttles, wall time.

Runs in one process against the local emulator with AWS's per-operation rate limits on, SQLite
and a local OIDC provider; the portal's own limiter paces the reads:
    .venv/bin/python bench/adoption_scan.py [--clients 100]
"""

from __future__ import annotations

import argparse
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
        "PORTAL_ALLOW_LOOPBACK_ISSUERS": "1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
    }
)
for key in ("PORTAL_REDIS_URL", "PORTAL_BROKER_URL", "AWS_PROFILE"):
    os.environ.pop(key, None)


def make_handmade(emulator, issuer: str, count: int) -> str:
    """COUNT console-made tenants (one provider each; every other one of the first 40 with a
    style, since a pool holds at most 20)."""
    app = emulator.app
    [seeded] = emulator.seed(pools=1)
    pool_id = seeded.user_pool_id
    app.invoke(
        "AddCustomAttributes",
        {
            "UserPoolId": pool_id,
            "CustomAttributes": [{"Name": "groups", "AttributeDataType": "String"}],
        },
    )
    for number in range(count):
        name = f"tenant-{number:04d}"
        app.invoke(
            "CreateIdentityProvider",
            {
                "UserPoolId": pool_id,
                "ProviderName": name,
                "ProviderType": "OIDC",
                "ProviderDetails": {
                    "client_id": name,
                    "client_secret": "bench-idp-secret",
                    "authorize_scopes": "openid email",
                    "oidc_issuer": issuer,
                    "attributes_request_method": "GET",
                },
                "AttributeMapping": {"email": "email", "custom:groups": "groups"},
            },
        )
        client = app.invoke(
            "CreateUserPoolClient",
            {
                "UserPoolId": pool_id,
                "ClientName": name,
                "GenerateSecret": True,
                "SupportedIdentityProviders": [name],
                "CallbackURLs": [f"https://{name}.example.com/cb"],
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid", "email", "profile"],
                "AllowedOAuthFlowsUserPoolClient": True,
            },
        )["UserPoolClient"]
        if number % 2 == 0 and number < 40:
            app.invoke(
                "CreateManagedLoginBranding",
                {
                    "UserPoolId": pool_id,
                    "ClientId": client["ClientId"],
                    "UseCognitoProvidedValues": True,
                },
            )
    return pool_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()

    from oidc_provider_mock import run_server_in_thread
    from sqlalchemy import func, select

    from portal import create_app
    from portal.app import upgrade_database
    from portal.devtools.emulator import Emulator
    from portal.extensions import db
    from portal.models import CognitoCall, Tenant
    from portal.services.adoption.adopt import adopt
    from portal.services.adoption.scan import scan_pool
    from portal.services.audit.actors import Actor, acting_as
    from portal.services.pools.registry import register_pool

    emulator = Emulator().start()
    os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = emulator.endpoint
    app = create_app()
    with app.app_context(), run_server_in_thread() as idp, acting_as(Actor("cli", "b", "bench")):
        upgrade_database()
        pool_id = make_handmade(emulator, f"http://localhost:{idp.server_port}", args.clients)
        pool = register_pool(pool_id)
        emulator.configure(rate_limits=True)
        rows = []
        for label, action in (
            ("scan", lambda: scan_pool(pool)),
            ("adopt (scans again, then records)", lambda: adopt(pool)),
            ("adopt again (nothing new)", lambda: adopt(pool)),
        ):
            before = db.session.scalar(select(func.max(CognitoCall.id))) or 0
            started = time.perf_counter()
            action()
            seconds = time.perf_counter() - started
            calls = db.session.scalars(select(CognitoCall).where(CognitoCall.id > before)).all()
            ops = collections.Counter(c.operation for c in calls)
            throttled = sum(1 for c in calls if c.outcome == "throttled")
            writes = [o for o in ops if not o.startswith(("Describe", "List", "Get"))]
            rows.append((label, seconds, len(calls), throttled, writes, dict(ops)))
        tenants = db.session.scalar(select(func.count(Tenant.id)))
    emulator.stop()
    print(f"{args.clients} hand-made clients; {tenants} tenants adopted")
    print(f"{'case':<36} {'seconds':>8} {'calls':>6} {'throttled':>9}  writes  operations")
    for label, seconds, calls, throttled, writes, ops in rows:
        print(f"{label:<36} {seconds:>8.1f} {calls:>6} {throttled:>9}  {writes or 'none'}  {ops}")


if __name__ == "__main__":
    main()
