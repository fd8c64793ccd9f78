"""Page and API speed at a large vendor's scale, and the memory of a full audit export.

Seeds 10,000 tenants and 1,000,000 audit events (a valid hash chain) in PostgreSQL, serves the
app with gunicorn, and measures p50/p95/p99 latency and throughput of the tenants list (with a
search), a tenant page, the audit log page and the JSON API list endpoint under 20 concurrent
clients; then the peak RSS of `portal audit export` over every event.

    .venv/bin/python bench/web.py [--tenants 10000] [--events 1000000] [--clients 20]
        [--seconds 20] [--workers 4] [--threads 4] [--runs 3] [--reuse] [--no-export]
        [--page TEXT]

The saturated measurement needs Debian's `wrk` (`apt-get install -y wrk`); without it (or with
--python-client) Python threads generate the load, and take a share of the same cores.
`--runs 3` repeats both measurements of every page three times and ends with each run's
people-like p95 beside the saturated req/s and the load average when the run began.
`--reuse` keeps the database a previous run seeded (same --tenants and --events).

Uses the PostgreSQL database `bench_web` (re-created) and Redis database 11 (flushed), or
$BENCH_PG_DATABASE and $BENCH_REDIS_URL: never one a test suite is using at the same time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Each run owns its database and Redis number: a test suite sharing them would be flushed.
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "bench_web")
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
ADMIN_EMAIL, ADMIN_PASSWORD = "bench-admin@example.com", "bench-password-123"
# (label, path, through the API): the pages measured here and profiled by bench/web_profile.py.
PAGES = [
    ("tenants list, search", "/tenants?q=globex&sort=name", False),
    ("tenant page", "/tenants/tenant-04242", False),
    ("audit log page", "/audit", False),
    # The auditors' filters (issue 17 item 9): a family, a word, part of a tenant's name
    # (3,333 tenants), part of a slug (10 tenants, merged), part of every actor, no actor.
    ("audit: action family", "/audit?action=client_secret.", False),
    ("audit: action word", "/audit?action=secret", False),
    ("audit: tenant globex", "/audit?tenant=globex", False),
    ("audit: tenant 10 slugs", "/audit?tenant=tenant-0424", False),
    ("audit: actor admin", "/audit?actor=admin", False),
    ("audit: actor, no match", "/audit?actor=nobody", False),
    ("API tenants list", "/api/v1/tenants?per_page=50", True),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--python-client",
        action="store_true",
        help="Generate the load with Python threads even when wrk is installed.",
    )
    parser.add_argument("--runs", type=int, default=1, help="Repeat the measurements.")
    parser.add_argument(
        "--reuse", action="store_true", help="Measure the database an earlier run seeded."
    )
    parser.add_argument(
        "--no-export", action="store_true", help="Skip the audit export's memory measurement."
    )
    parser.add_argument("--page", default="", help="Only the pages whose label holds this.")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=500.0,
        help="Pause of each simulated user between requests (the people-like measurement).",
    )
    return parser.parse_args()


def environment(work: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "PORTAL_INSTANCE_PATH": str(work),
            "PORTAL_DATABASE_URL": PG_URL,
            "PORTAL_BROKER_URL": REDIS_URL,
            "PORTAL_REDIS_URL": REDIS_URL,
            "PORTAL_SECRET_KEY": "bench-web-secret",
            "PORTAL_LOG_LEVEL": "WARNING",
            "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PORTAL_API_RATE_LIMIT": "1000000",
        }
    )
    return env


def seed(args, env) -> str:
    """Create the schema, an admin, a pool, N tenants and M chained audit events; return a token."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    os.environ.update(env)
    from portal import create_app
    from portal.app import upgrade_database
    from portal.models import Role
    from portal.services.access.users import create_user
    from portal.services.audit.actors import Actor, acting_as
    from portal.services.audit.trail import GENESIS, event_digest

    app = create_app()
    with app.app_context(), acting_as(Actor("cli", "bench", "bench")):
        upgrade_database()
        create_user(ADMIN_EMAIL, Role.ADMIN, ADMIN_PASSWORD)
    token = api_token(env)
    started = time.monotonic()
    with psycopg.connect(PG_URL) as conn:
        conn.execute(
            "INSERT INTO user_pools (user_pool_id, region, name, domain, custom_domain, "
            "managed_login_version, feature_plan, max_clients, max_identity_providers, "
            "baseline_clients, baseline_identity_providers, baseline_styles, custom_attributes, "
            "closed, created_at, refreshed_at) VALUES ('us-east-1_bench', 'us-east-1', 'bench', "
            "'bench', false, 2, 'ESSENTIALS', 100000, 100000, 0, 0, 0, '[\"custom:groups\"]', "
            "false, now(), now())"
        )
        pool_id = conn.execute("SELECT id FROM user_pools").fetchone()[0]
        statuses = ["ready"] * 7 + ["failed", "draft", "queued"]
        with conn.cursor().copy(
            "COPY tenants (slug, name, status, pool_id, pool_pinned, callback_urls, "
            "logout_urls, issuer, idp_client_id, idp_secret_in_cognito, authorize_scopes, "
            "groups_claim, attributes_request_method, provider_name, "
            "client_name, client_id, client_create_started, provider_created, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(args.tenants):
                slug = f"tenant-{n:05d}"
                copy.write_row(
                    (
                        slug,
                        f"Customer {n:05d} {['Acme', 'Globex', 'Initech'][n % 3]}",
                        statuses[n % 10],
                        pool_id,
                        False,
                        json.dumps([f"https://{slug}.example.com/cb"]),
                        "[]",
                        "https://idp.example.com",
                        f"client-{n}",
                        True,
                        "openid email",
                        "groups",
                        "GET",
                        slug,
                        f"portal-{slug}",
                        f"c{n:020d}",
                        True,
                        True,
                        datetime.now(UTC),
                        datetime.now(UTC),
                    )
                )
        seed_audit(conn, args, GENESIS, event_digest)
        conn.commit()
    # As autovacuum leaves a live database: statistics, hint bits and the visibility map set.
    # Without it the first pages' index-only scans visit the heap, and measure a fresh load.
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(
        f"seeded {args.tenants} tenants and {args.events} audit events in "
        f"{time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    return token


def seed_audit(conn, args, genesis: str, digest) -> None:
    base = datetime.now(UTC)  # after the admin's own events: ids and times rise together
    prev, last_id = conn.execute(
        "SELECT last_hash, coalesce(last_event_id, 0) FROM audit_chain_head WHERE id = 1"
    ).fetchone()
    first_id = last_id + 1
    actions = [
        "tenant.created",
        "tenant.idp_set",
        "run.queued",
        "run.succeeded",
        "cognito.app_client.created",
        "secret.revealed",
        "auth.signed_in",
    ]
    with conn.cursor().copy(
        "COPY audit_events (id, at, actor_type, actor_id, actor_label, action, tenant_id, "
        "request_id, source_ip, user_agent, details, prev_hash, hash) FROM STDIN"
    ) as copy:
        for n in range(first_id, first_id + args.events):
            at = base + timedelta(milliseconds=(n - first_id) * 10)
            fields = {
                "actor_type": "user",
                "actor_id": "1",
                "actor_label": ADMIN_EMAIL,
                "action": actions[n % len(actions)],
                "tenant_id": (n % args.tenants) + 1,
                "request_id": f"req{n}",
                "source_ip": "127.0.0.1",
                "user_agent": "bench",
                "details": {"n": n},
            }
            value = digest(prev, at, fields)
            copy.write_row(
                (
                    n,
                    at,
                    "user",
                    "1",
                    ADMIN_EMAIL,
                    fields["action"],
                    fields["tenant_id"],
                    fields["request_id"],
                    "127.0.0.1",
                    "bench",
                    json.dumps(fields["details"]),
                    prev,
                    value,
                )
            )
            prev, last_id = value, n
    conn.execute("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), %s)", (last_id,))
    conn.execute(
        "UPDATE audit_chain_head SET last_hash = %s, last_event_id = %s, "
        "events = events + %s WHERE id = 1",
        (prev, last_id, args.events),
    )


def api_token(env) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "portal",
            "tokens",
            "create",
            ADMIN_EMAIL,
            "--name",
            "bench",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return ""
    document = json.loads(result.stdout)
    return document.get("token") or document.get("secret") or ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def login(base: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/login",
        data={"csrf_token": token, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code
    return session


def measure(
    base: str, path: str, sessions: list, seconds: float, headers=None, think: float = 0.0
) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(session) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            started = time.perf_counter()
            response = session.get(base + path, headers=headers or {})
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors += response.status_code != 200
            if think:
                time.sleep(think)

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p95": pct(0.95),
        "p99": pct(0.99),
    }


WRK_REPORT = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) not_ok = 0 end
response = function(status, headers, body) if status ~= 200 then not_ok = not_ok + 1 end end
done = function(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  io.write(string.format('{"requests": %d, "errors": %d, "p50": %f, "p95": %f, "p99": %f, '
    .. '"seconds": %f}\\n', summary.requests,
    bad + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1e6))
end
"""


def measure_wrk(base: str, path: str, session, clients: int, seconds: float, headers=None) -> dict:
    """The same measurement with wrk (C): the load generator takes little of the 2 cores."""
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(WRK_REPORT)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(clients),
        "-d",
        f"{int(seconds)}s",
        "-s",
        str(script),
        "-H",
        f"Cookie: {cookie}",
        "-H",  # sessions are bound to the client's address and user agent: send the same one
        f"User-Agent: {session.headers.get('User-Agent', '')}",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True
    ).stdout
    report = json.loads(output.strip().splitlines()[-1])
    report["rps"] = report["requests"] / report["seconds"]
    return report


def export_memory(env) -> tuple[float, int]:
    started = time.monotonic()
    result = subprocess.run(
        [
            "/usr/bin/time",
            "-v",
            sys.executable,
            "-m",
            "portal",
            "audit",
            "export",
            "--format",
            "jsonl",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return time.monotonic() - started, int(match.group(1)) // 1024 if match else -1


def print_summary(summary: list[tuple[int, str, float, dict, dict]], runs: int) -> None:
    """Per page and run: the people-like p95 (ms) beside the saturated req/s, and the load."""
    labels = list(dict.fromkeys(label for _, label, _, _, _ in summary))
    loads = {run: load for run, _, load, _, _ in summary}
    print("\npeople-like p95 ms (saturated req/s) per run; goal: every p95 < 100 ms")
    print(f"{'endpoint':<24} " + " ".join(f"{f'run {r}':>16}" for r in range(1, runs + 1)))
    for label in labels:
        cells = [
            f"{people['p95']:>7.1f} ({saturated['rps']:>5.0f})"
            for _, name, _, saturated, people in summary
            if name == label
        ]
        print(f"{label:<24} " + " ".join(f"{c:>16}" for c in cells))
    print(f"{'load average (1 min)':<24} " + " ".join(f"{loads[r]:>16.2f}" for r in loads))


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="portal-bench-web-"))
    env = environment(work)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # sign-in throttling, limiter state of earlier runs
    token = api_token(env) if args.reuse else seed(args, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "portal.wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        import requests

        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:  # not up yet (or a worker still booting)
                time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"} if token else None
        targets = [
            (label, path, auth if api else None) for label, path, api in PAGES if args.page in label
        ]
        print(
            f"{args.tenants} tenants, {args.events} audit events; gunicorn {args.workers} "
            f"workers x {args.threads} threads; {args.clients} concurrent clients, "
            f"{args.seconds:.0f} s each"
        )
        # Sign in once per client (sign-in is throttled per address, as it should be).
        use_wrk = shutil.which("wrk") is not None and not args.python_client
        users = [login(base) for _ in range(args.clients)]
        think = args.think_ms / 1000
        print(
            f"1) saturation: {args.clients} connections back to back "
            f"({'wrk' if use_wrk else 'Python threads'}); "
            f"2) {args.clients} users pausing {args.think_ms:.0f} ms between requests"
        )
        summary: list[tuple[int, str, float, dict, dict]] = []
        for run in range(1, args.runs + 1):
            load = os.getloadavg()[0]
            print(f"run {run}/{args.runs}, load average {load:.2f}")
            print(
                f"{'endpoint':<24} {'mode':<10} {'requests':>8} {'req/s':>7} {'p50 ms':>7} "
                f"{'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
            )
            for label, path, headers in targets:
                measure(base, path, users[:1], 2.0, headers)  # warm up
                if use_wrk:
                    saturated = measure_wrk(
                        base, path, users[0], args.clients, args.seconds, headers
                    )
                else:
                    saturated = measure(base, path, users, args.seconds, headers)
                people = measure(base, path, users, args.seconds, headers, think=think)
                summary.append((run, label, load, saturated, people))
                for mode, r in (("saturated", saturated), ("users", people)):
                    print(
                        f"{label:<24} {mode:<10} {r['requests']:>8} {r['rps']:>7.1f} "
                        f"{r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} {r['errors']:>6}",
                        flush=True,
                    )
        print_summary(summary, args.runs)
    finally:
        server.terminate()
        server.wait(30)
    if args.no_export:
        return
    seconds, rss_mb = export_memory(env)
    print(
        f"audit export of {args.events} events (JSON Lines): {seconds:.1f} s, peak RSS {rss_mb} MB"
    )


if __name__ == "__main__":
    main()
