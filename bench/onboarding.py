"""Onboarding throughput against Cognito's request-rate quotas.

Starts the local emulator with AWS's rate quotas on and a per-call latency, registers P pools,
prepares N tenants with IdP details (a local OIDC provider), runs W Celery worker processes
against real Redis and PostgreSQL, onboards all N with ONE `portal tenants onboard` call, and
prints wall time, tenants/s, the quota-bound maximum for this set-up, calls per tenant,
throttles, and queued-to-ready latency percentiles.

    .venv/bin/python bench/onboarding.py [--tenants 200] [--pools 10] [--workers 4]
        [--concurrency 8] [--latency-ms 80] [--jitter-ms 20] [--database postgresql|sqlite]
    .venv/bin/python bench/onboarding.py --matrix [--rows 1x1,10x1,40x2,200x10,1000x50]
    .venv/bin/python bench/onboarding.py --tenants 40 --pools 2 --with-sweep [200]

--matrix runs each (tenants x pools) row on SQLite and on PostgreSQL and prints one line a row:
the wall time of `onboard --wait` including the CLI's start, the quota bound from the fewest
writes any correct portal must make (one client, one provider, one style per tenant, one
attribute add per pool: max(n/5P, (2n+P)/15, n/15) s), their ratio, calls per tenant,
throttles, failed runs and queued -> ready p50/p95.

--with-sweep [N] first onboards N more tenants (200) in pools of their own, then runs the drift
sweep over them (checked again and again, in this process) throughout the timed batch, and
prints the sweep's Cognito calls per quota category and second while the batch ran: background
work must leave the batch all but PORTAL_BACKGROUND_QUOTA_SHARE of every quota.

Uses the PostgreSQL database `bench` (dropped and created) and Redis database 13 (flushed), or
$BENCH_PG_DATABASE and $BENCH_REDIS_URL: never one a test suite is using at the same time.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Each run owns its database and Redis number: a test suite sharing them would flush the queue.
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "bench")
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DATABASES = ("sqlite", "postgresql")
MATRIX = ((1, 1), (10, 1), (40, 2), (200, 10), (1000, 50))  # a managed-login pool holds 20


def minimal_bound_seconds(tenants: int, pools: int) -> float:
    """The fewest seconds any correct portal needs: its unavoidable writes at the quotas' rates.

    Per tenant one CreateUserPoolClient (5 RPS per pool), one CreateIdentityProvider and one
    CreateManagedLoginBranding (UserPoolResourceUpdate, 15 RPS), one client write
    (UserPoolClientUpdate, 15 RPS); per pool one AddCustomAttributes (UserPoolResourceUpdate).
    Extra calls a portal makes count against it, not in this bound.
    """
    return max(tenants / (5 * pools), (2 * tenants + pools) / 15, tenants / 15)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--pools", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=80.0)
    parser.add_argument("--jitter-ms", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--database", choices=DATABASES, default="postgresql")
    parser.add_argument(
        "--broker",
        choices=("redis", "file"),
        default="redis",
        help="file: the dev stack's default broker (no Redis: in-process limiter, so use "
        "--workers 1).",
    )
    parser.add_argument("--matrix", action="store_true", help="Run the rows on both databases.")
    parser.add_argument("--rows", default=",".join(f"{n}x{p}" for n, p in MATRIX))
    parser.add_argument(
        "--with-sweep",
        type=int,
        nargs="?",
        const=200,
        default=0,
        metavar="N",
        help="Run the drift sweep over N (200) ready tenants throughout the batch.",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="Record each worker with py-spy (collapsed stacks) into DIR and "
        "print where the workers spend their time.",
    )
    parser.set_defaults(sweep_tenant_ids=[])
    return parser.parse_args()


def prepare_environment(
    work: Path, database: str = "postgresql", broker: str = "redis"
) -> dict[str, str]:
    import psycopg
    import redis

    if database == "postgresql":
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    if broker == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "PORTAL_INSTANCE_PATH": str(work),
            "PORTAL_DATABASE_URL": PG_URL
            if database == "postgresql"
            else f"sqlite:///{work / 'bench.db'}",
            "PORTAL_BROKER_URL": REDIS_URL,
            "PORTAL_REDIS_URL": REDIS_URL,
            "PORTAL_SECRET_KEY": "bench-secret-key",
            "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PORTAL_ALLOW_LOOPBACK_ISSUERS": "1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "PYTHONUNBUFFERED": "1",
        }
    )
    # An installed portal runs from compiled bytecode; a shell that forbids writing it would make
    # every CLI and worker start compile the portal from source (about 0.5 s of each start).
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    if broker == "file":  # the dev stack's default: the file broker in the instance folder
        for key in ("PORTAL_BROKER_URL", "PORTAL_REDIS_URL"):
            env.pop(key)
            os.environ.pop(key, None)
    return env


def start_emulator(env: dict[str, str], pools: int) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.devtools.emulator", "--pools", str(pools), "--rate-limits"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return process, json.loads(process.stdout.readline())


def quota_bound(calls_by_tenant: dict[int, list[tuple[str, str]]], tenants: int) -> float:
    """Tenants per second if every category and per-pool-operation bucket ran flat out."""
    from portal.cognito.quotas import (
        CATEGORY_RPS,
        PER_POOL_CATEGORIES,
        PER_POOL_OPERATION_RPS,
        category_of,
    )

    per_category: collections.Counter[str] = collections.Counter()
    per_pool_op: collections.Counter[tuple[str, str]] = collections.Counter()
    for ops in calls_by_tenant.values():
        for operation, pool in ops:
            category = category_of(operation)
            if category:
                per_category[category] += 1
                if category in PER_POOL_CATEGORIES:
                    per_pool_op[(pool, operation)] += 1
    seconds = [count / CATEGORY_RPS[c] for c, count in per_category.items()]
    seconds += [count / PER_POOL_OPERATION_RPS for count in per_pool_op.values()]
    return tenants / max(seconds)


def main() -> None:
    args = parse_args()
    if not args.matrix:
        run_row(args)
        return
    began = time.monotonic()
    rows = [tuple(int(x) for x in row.split("x")) for row in args.rows.split(",")]
    results = []
    for tenants, pools in rows:
        for database in DATABASES:
            args.tenants, args.pools, args.database = tenants, pools, database
            print(f"--- {tenants} tenants, {pools} pools, {database}", file=sys.stderr)
            results.append(run_row(args, quiet=True))
            print_matrix(results[-1:], header=len(results) == 1)
    print_matrix(results)
    print()
    print(markdown_table(results, time.monotonic() - began))


def label(result: dict) -> str:
    """The row's database, and its broker when it is not Redis."""
    return result["database"] + (", file broker" if result.get("broker") == "file" else "")


def markdown_table(results: list[dict], seconds: float) -> str:
    """The matrix as a table to paste into BENCHMARKS.md, with the command, date and duration."""
    lines = [
        f"Command: `{' '.join(['.venv/bin/python', 'bench/onboarding.py', *sys.argv[1:]])}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
        f"the whole matrix took {seconds / 60:.1f} min.",
        "",
        "| n x P | database | wall s | bound s | ratio | calls/tenant | throttles | failed "
        "| queued→ready p50 / p95 s | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['tenants']} x {r['pools']} | {label(r)} | {r['wall']:.2f} "
            f"| {r['bound']:.2f} | {r['ratio']:.2f} | {r['calls_per_tenant']:.2f} "
            f"| {r['throttles']} | {r['failed']} | {r['p50']:.2f} / {r['p95']:.2f} "
            f"| {r['load']:.1f} |"
        )
    return "\n".join(lines)


def print_matrix(results: list[dict], header: bool = True) -> None:
    if header:
        print(
            f"{'tenants':>7} {'pools':>5} {'database':<16} {'wall s':>7} {'bound s':>7} "
            f"{'ratio':>5} {'calls/t':>7} {'throttles':>9} {'failed':>6} {'p50 s':>6} {'p95 s':>6} "
            f"{'load':>5}"
        )
    for r in results:
        print(
            f"{r['tenants']:>7} {r['pools']:>5} {label(r):<16} {r['wall']:>7.2f} "
            f"{r['bound']:>7.2f} {r['ratio']:>5.2f} {r['calls_per_tenant']:>7.2f} "
            f"{r['throttles']:>9} {r['failed']:>6} {r['p50']:>6.2f} {r['p95']:>6.2f} "
            f"{r['load']:>5.1f}"
        )
        if r.get("sweep"):
            print(f"        {r['sweep']}")
    sys.stdout.flush()


def run_row(args: argparse.Namespace, quiet: bool = False) -> dict:
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    env = prepare_environment(work, args.database, args.broker)
    emulator, info = start_emulator(env, args.pools + sweep_pool_count(args))
    env["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = info["endpoint"]
    os.environ.update(env)
    from portal.cognito.gateway import make_client

    make_client.cache_clear()  # a client of the previous row's emulator would be reused
    from portal.devtools.emulator import EmulatorAdmin

    EmulatorAdmin(info["endpoint"]).configure(latency_ms=args.latency_ms, jitter_ms=args.jitter_ms)
    workers: list[subprocess.Popen] = []
    try:
        from oidc_provider_mock import run_server_in_thread

        from portal import create_app
        from portal.app import upgrade_database
        from portal.services.audit.actors import Actor, acting_as
        from portal.services.pools.registry import register_pool

        app = create_app()
        with (
            app.app_context(),
            run_server_in_thread() as idp,
            acting_as(Actor("cli", "bench", "bench")),
        ):
            upgrade_database()
            for pool in info["pools"]:
                register_pool(pool["user_pool_id"], pool["region"])
            slugs = prepare_tenants(args.tenants, f"http://localhost:{idp.server_port}")
            print(
                f"prepared {args.tenants} tenants over {args.pools} pools; starting "
                f"{args.workers} workers x {args.concurrency} threads",
                file=sys.stderr,
            )
            for n in range(args.workers):
                command = [
                    sys.executable,
                    "-m",
                    "portal",
                    "worker",
                    "--concurrency",
                    str(args.concurrency),
                    "--loglevel",
                    "WARNING",
                    "-n",
                    f"bench{n}@%h",
                ]
                if args.profile:
                    Path(args.profile).mkdir(parents=True, exist_ok=True)
                    command = [
                        str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "-f",
                        "raw",
                        "-r",
                        "50",
                        "-o",
                        f"{args.profile}/worker-{n}.txt",
                        "--",
                        *command,
                    ]
                workers.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            wait_for_workers(app, args.workers)  # the clock starts with every worker ready
            cli_profile = []
            if args.profile:  # the CLI too, idle time included: its wall is what users wait for
                cli_profile = [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--idle",
                    "-f",
                    "raw",
                    "-r",
                    "200",
                    "-o",
                    f"{args.profile}/cli.txt",
                    "--",
                ]
            sweep = start_sweep(app, env, args, info, f"http://localhost:{idp.server_port}")
            started, started_at = time.monotonic(), time.time()
            onboard = subprocess.run(
                [
                    *cli_profile,
                    sys.executable,
                    "-m",
                    "portal",
                    "tenants",
                    "onboard",
                    *slugs,
                    "--wait",
                    "--timeout",
                    str(args.timeout),
                ],  # as README runs it: plain output (--json adds each tenant's hosted URLs)
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.monotonic() - started
            sweep_stats = stop_sweep(app, sweep)
            result = report(app, args, wall, onboard.returncode, quiet)
            result.update(sweep_stats)
            result["phases"] = phases(app, started_at, wall)
            if not quiet:
                print_phases(result["phases"])
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)  # py-spy writes its file when its child exits
        for worker in workers:
            worker.wait(60)
        emulator.terminate()
    if args.profile:
        summarise_profile(Path(args.profile))
    return result


def prepare_tenants(count: int, issuer: str, per_commit: int = 100) -> list[str]:
    """COUNT tenants with IdP details, through the portal's own services, audited as usual.

    The services commit each change on its own; here a hundred tenants share a commit (the
    1,000-tenant row's preparation took minutes of fsyncs and audit-head round trips).
    """
    from unittest import mock

    from portal.extensions import db
    from portal.services.tenants.records import create_tenant, preflight, set_idp

    check = preflight(issuer, "groups", None)  # one discovery fetch for every tenant
    commit = db.session.commit
    slugs = []
    with mock.patch.object(db.session, "commit", db.session.flush):
        for n in range(count):
            slug = f"bench-{n:04d}"
            tenant = create_tenant(slug, f"Bench {n}", [f"https://app{n}.example.com/cb"])
            set_idp(
                tenant, issuer=issuer, client_id=f"client-{n}", client_secret=f"s-{n}", check=check
            )
            slugs.append(slug)
            if len(slugs) % per_commit == 0:
                commit()
                db.session.expunge_all()  # keep flushes cheap
    commit()
    return slugs


def wait_for_workers(app, count: int, timeout: float = 180.0) -> None:
    from portal.workers import celery_of

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(celery_of(app).control.ping(timeout=1.0) or []) >= count:
            return
    raise SystemExit(f"{count} workers did not answer within {timeout:.0f} s")


def summarise_profile(folder: Path, top: int = 12) -> None:
    """Where the workers' threads spend their time, from py-spy's collapsed stacks."""
    leaf: collections.Counter[str] = collections.Counter()
    area: collections.Counter[str] = collections.Counter()
    total = 0
    for path in folder.glob("worker-*.txt"):
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames = stack.split(";")
            total += int(count)
            leaf[frames[-1].split(" (")[0]] += int(count)
            area[classify(frames)] += int(count)
    print(f"worker samples: {total} (all threads, idle ones included)")
    for name, count in area.most_common():
        print(f"  {name:<44} {count / total:6.1%}")
    print("hottest leaf functions:")
    for name, count in leaf.most_common(top):
        print(f"  {name:<60} {count / total:6.1%}")
    cli = folder / "cli.txt"
    if cli.exists():
        summarise_cli(cli)


CLI_PHASES = (  # the first that matches names the sample's phase
    ("wait_for (portal/cli/tenants.py", "waiting for the runs (--wait)"),
    ("queue_onboarding (", "creating and enqueuing the runs"),
    ("create_app (", "building the app"),
    ("prepare (portal/cli/needs.py", "the database check before the command"),
    ("_find_and_load (", "imports"),
)


def summarise_cli(path: Path) -> None:
    """Where the `onboard --wait` process spends its wall time, by phase (200 Hz, idle included)."""
    phases: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        phase = next((name for key, name in CLI_PHASES if key in stack), "other (click, Python)")
        phases[phase] += int(count)
    print(f"CLI samples: {total} at 200 Hz = {total / 200:.2f} s")
    for name, count in phases.most_common():
        print(f"  {name:<44} {count / 200:6.2f} s")


def classify(frames: list[str]) -> str:
    text = ";".join(frames)
    if "acquire (portal/cognito/limiter.py" in text:
        return "waiting for the shared rate limiter"
    if "_make_api_call" in text or ("urllib3" in text and "botocore" in text):
        return "a Cognito call (network and emulator latency)"
    if "_backoff" in text or ("time.sleep" in text and "gateway" in text):
        return "backing off after a throttle"
    if "sqlalchemy" in text or "psycopg" in text:
        return "the database (ledger, lease, step records)"
    if "execute_run" in text:
        return "the engine's own Python"
    return "idle (waiting for a task) or Celery"


def phases(app, started_at: float, wall: float) -> dict[str, float]:
    """Where the wall time went, from the runs' and the calls' own timestamps (seconds)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import CognitoCall, Run

    with app.app_context():
        first_run, last_end, first_start = db.session.execute(
            select(func.min(Run.created_at), func.max(Run.finished_at), func.min(Run.started_at))
        ).one()
        calls = db.session.execute(
            select(CognitoCall.started_at, CognitoCall.duration_ms).where(
                CognitoCall.run_id.is_not(None)
            )
        ).all()
    if first_run is None or last_end is None or not calls:
        return {}
    first_call = min(at for at, _ in calls).timestamp()
    last_call = max(at.timestamp() + ms / 1000 for at, ms in calls)
    return {
        "cli start to first run committed": first_run.timestamp() - started_at,
        "first run committed to claimed": first_start.timestamp() - first_run.timestamp(),
        "claimed to first Cognito call": first_call - first_start.timestamp(),
        "first to last Cognito call": last_call - first_call,
        "last call to last run ended": last_end.timestamp() - last_call,
        "last run ended to CLI exit": started_at + wall - last_end.timestamp(),
    }


def print_phases(found: dict[str, float]) -> None:
    print("where the wall went (database timestamps):")
    for name, seconds in found.items():
        print(f"  {name:<36} {seconds:7.3f} s")


def report(app, args, wall: float, exit_code: int, quiet: bool = False) -> dict:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import CognitoCall, Run, RunStatus

    aside = args.sweep_tenant_ids  # the sweep's own tenants, onboarded before the clock started
    with app.app_context():
        runs = db.session.scalars(select(Run).where(Run.tenant_id.not_in(aside))).all()
        calls = db.session.scalars(
            select(CognitoCall).where(
                CognitoCall.run_id.is_not(None), CognitoCall.tenant_id.not_in(aside)
            )
        )
        by_tenant: dict[int, list[tuple[str, str]]] = collections.defaultdict(list)
        ops: collections.Counter[str] = collections.Counter()
        throttled = 0
        for call in calls:
            if call.outcome == "throttled":
                throttled += 1
                continue
            if call.outcome == "ok":
                by_tenant[call.tenant_id].append((call.operation, call.user_pool_id))
                ops[call.operation] += 1
        failed = [r for r in runs if r.status != RunStatus.SUCCEEDED]
        latencies = sorted(
            (r.finished_at - r.created_at).total_seconds() for r in runs if r.finished_at
        )
    bound = quota_bound(by_tenant, args.tenants)
    achieved = args.tenants / wall
    n = args.tenants
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
    minimal = minimal_bound_seconds(n, args.pools)
    result = {
        "broker": args.broker,
        "tenants": n,
        "pools": args.pools,
        "database": args.database,
        "wall": wall,
        "bound": minimal,
        "ratio": minimal / wall,
        "calls_per_tenant": sum(ops.values()) / n,
        "throttles": throttled,
        "failed": len(failed) + (0 if exit_code == 0 else int(not failed)),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": p95,
        "load": os.getloadavg()[0],
    }
    if quiet:
        return result
    print(
        f"tenants={n} pools={args.pools} workers={args.workers}x{args.concurrency} "
        f"latency={args.latency_ms:.0f}+-{args.jitter_ms:.0f} ms (emulator with AWS rate quotas)"
    )
    print(f"wall time            {wall:8.1f} s   (portal tenants onboard --wait exit {exit_code})")
    print(f"throughput           {achieved:8.2f} tenants/s")
    print(f"quota-bound maximum  {bound:8.2f} tenants/s   achieved/bound = {achieved / bound:.0%}")
    print(f"Cognito calls        {sum(ops.values()) / n:8.2f} per tenant (successful calls)")
    for operation, count in sorted(ops.items()):
        print(f"  {operation:<34} {count / n:6.2f} per tenant ({count})")
    print(f"throttling responses {throttled:8d} received and retried")
    if latencies:
        print(
            f"queued -> ready      p50 {statistics.median(latencies):.1f} s   "
            f"p95 {p95:.1f} s   max {latencies[-1]:.1f} s"
        )
    print(
        f"minimal bound        {minimal:8.2f} s       bound/wall = {minimal / wall:.2f} "
        f"(load average {result['load']:.1f})"
    )
    print(f"failed runs          {len(failed):8d}")
    return result


# --with-sweep: the drift sweep over tenants of their own throughout the batch.
SWEEP_POOL_STYLES = 20  # a managed-login pool holds 20 styles: one pool per 20 sweep tenants


def sweep_pool_count(args: argparse.Namespace) -> int:
    return -(-args.with_sweep // SWEEP_POOL_STYLES)


def start_sweep(app, env: dict[str, str], args: argparse.Namespace, info: dict, issuer: str):
    """Onboard the sweep's tenants in the last pools (then closed to the batch) and start it."""
    if not args.with_sweep:
        return None
    import threading

    from sqlalchemy import update

    from portal.extensions import db
    from portal.models import Tenant, UserPool, utcnow
    from portal.services.tenants.records import create_tenant, preflight, set_idp

    check = preflight(issuer, "groups", None)  # one discovery fetch for every sweep tenant
    pools = [p["user_pool_id"] for p in info["pools"][args.pools :]]
    slugs = []
    for n in range(args.with_sweep):
        slug = f"sweep-{n:04d}"
        tenant = create_tenant(
            slug,
            f"Sweep {n}",
            [f"https://sweep{n}.example.com/cb"],
            pool_id=pools[n // SWEEP_POOL_STYLES],
        )
        set_idp(tenant, issuer=issuer, client_id=f"sweep-{n}", client_secret=f"s-{n}", check=check)
        slugs.append(slug)
    print(f"onboarding the sweep's {len(slugs)} tenants first", file=sys.stderr)
    command = [sys.executable, "-m", "portal", "tenants", "onboard", *slugs, "--wait"]
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
    db.session.execute(update(UserPool).where(UserPool.user_pool_id.in_(pools)).values(closed=True))
    ids = list(db.session.scalars(select_ids(Tenant, slugs)))
    db.session.commit()
    args.sweep_tenant_ids = ids
    stop = threading.Event()
    counts = {"checks": 0}
    thread = threading.Thread(target=sweep_loop, args=(app, ids, stop, counts), daemon=True)
    thread.start()
    return {"thread": thread, "stop": stop, "counts": counts, "started": utcnow(), "ids": ids}


def select_ids(model, slugs: list[str]):
    from sqlalchemy import select

    return select(model.id).where(model.slug.in_(slugs))


def sweep_loop(app, ids: list[int], stop, counts: dict) -> None:
    """The drift sweep as the beat runs it, in slices, its tenants made due again each pass."""
    from sqlalchemy import update

    from portal.extensions import db
    from portal.models import Tenant
    from portal.services.audit.actors import SYSTEM, acting_as
    from portal.services.engine import drift

    with app.app_context(), acting_as(SYSTEM):
        while not stop.is_set():
            checked = drift.sweep(limit=10)
            counts["checks"] += checked
            if not checked:
                db.session.execute(
                    update(Tenant).where(Tenant.id.in_(ids)).values(drift_checked_at=None)
                )
                db.session.commit()


def stop_sweep(app, sweep) -> dict:
    """Stop the sweep; its calls per quota category and second while the batch ran."""
    if sweep is None:
        return {}
    from sqlalchemy import select

    from portal.cognito.quotas import CATEGORY_RPS, category_of
    from portal.config import current_settings
    from portal.devtools.emulator.ratelimit import busiest_second
    from portal.extensions import db
    from portal.models import CognitoCall

    sweep["stop"].set()
    sweep["thread"].join(120)
    with app.app_context():
        share = current_settings().background_quota_share
        batch = select(CognitoCall.started_at).where(
            CognitoCall.run_id.is_not(None),
            CognitoCall.tenant_id.not_in(sweep["ids"]),
            CognitoCall.started_at >= sweep["started"],
        )
        # The batch's window: its first call to its last (the CLI's start is not the batch).
        first = db.session.scalar(batch.order_by(CognitoCall.started_at).limit(1))
        last = db.session.scalar(batch.order_by(CognitoCall.started_at.desc()).limit(1))
        calls = db.session.scalars(
            select(CognitoCall).where(
                CognitoCall.run_id.is_(None),
                CognitoCall.started_at >= first,
                CognitoCall.started_at <= last,
            )
        ).all()
    seconds = max((last - first).total_seconds(), 1e-9)
    stamps: dict[str, list[float]] = collections.defaultdict(list)
    for call in calls:
        category = category_of(call.operation)
        if category:
            stamps[category].append((call.started_at - first).total_seconds())
    parts = []
    for category, times in sorted(stamps.items()):
        limit = CATEGORY_RPS[category] * share
        parts.append(
            f"{category} {len(times) / seconds:.2f}/s mean, {busiest_second(times)} max in a "
            f"second (share {limit:.1f}/s)"
        )
    text = f"sweep during the batch: {sweep['counts']['checks']} checks; " + "; ".join(parts)
    print(text, file=sys.stderr)
    return {"sweep": text}


if __name__ == "__main__":
    main()
