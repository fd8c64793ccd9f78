"""Audit history at scale: export memory, keyset page speed with EXPLAIN, verification time.

Seeds a correctly hash-chained audit log quickly (COPY on PostgreSQL, executemany on SQLite),
then, at each size, streams a full JSON Lines export through the web route in a fresh process and
reports its peak memory (tracemalloc's peak of Python allocations, and the growth of the
process's peak RSS); at the largest size it times and EXPLAINs the log's keyset pages and times
`audit verify`.

    .venv/bin/python bench/audit_export.py --database-url postgresql://postgres@127.0.0.1:5432/DB \\
        --reset --sizes 10000,100000 --pages-at 1000000

--reset wipes the database's public schema first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TENANTS = 200
ACTORS = [f"staff{n}@example.com" for n in range(40)]


def configure(database_url: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    os.environ.update(
        {
            "PORTAL_INSTANCE_PATH": str(work),
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_BROKER_URL": f"filesystem://{work / 'broker'}",
        }
    )
    os.environ.pop("PORTAL_REDIS_URL", None)


def make_app():
    from portal import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})


# Seeding ----------------------------------------------------------------------------------------


def reset(app) -> None:
    from sqlalchemy import text

    from portal.app import upgrade_database
    from portal.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            else:
                db.drop_all()
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade_database()
        from portal.services.access.users import create_user
        from portal.services.audit.actors import Actor, acting_as
        from portal.services.tenants.records import create_tenant

        with acting_as(Actor("cli", "bench", "bench (cli)")):
            create_user("auditor@example.com", "auditor", "auditor-password-123")
            for n in range(TENANTS):
                create_tenant(f"tenant-{n:03d}", f"Tenant {n}", ["https://app.example.com/cb"])


def grow(app, target: int, final: int, span_days: int = 365) -> int:
    """Append correctly chained events until the log holds TARGET; returns how many were added.

    Event k of FINAL is dated k/FINAL of the way through the last SPAN_DAYS, so that ids and
    times rise together as they do when record() appends under its lock.
    """
    from sqlalchemy import func, insert, select, text

    from portal.extensions import db
    from portal.models import AuditChainHead, AuditEvent
    from portal.services.audit.trail import HEAD_ID, event_digest

    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(AuditEvent))
        missing = target - have
        if missing <= 0:
            return 0
        head = db.session.get(AuditChainHead, HEAD_ID)
        tenant_ids = db.session.scalars(text("SELECT id FROM tenants ORDER BY id")).all()
        previous, next_id = head.last_hash, (head.last_event_id or 0) + 1
        start = datetime.now(UTC) - timedelta(days=span_days)
        step = timedelta(days=span_days) / max(final, 1)
        rnd = random.Random(next_id)
        from portal.services.audit.query import KNOWN_ACTIONS

        def rows():
            nonlocal previous
            for n in range(missing):
                ident = next_id + n
                user = rnd.random() < 0.5
                fields = {
                    "actor_type": "user" if user else "system",
                    "actor_id": str(rnd.randrange(40)) if user else None,
                    "actor_label": rnd.choice(ACTORS) if user else "system",
                    "action": rnd.choice(KNOWN_ACTIONS),
                    "tenant_id": rnd.choice(tenant_ids) if rnd.random() < 0.85 else None,
                    "request_id": f"{rnd.getrandbits(128):032x}",
                    "source_ip": f"10.0.{rnd.randrange(256)}.{rnd.randrange(256)}"
                    if user
                    else None,
                    "user_agent": "Mozilla/5.0 (bench)" if user else None,
                    "details": {
                        "run_id": ident // 7,
                        "before": {"status": "queued"},
                        "after": {"status": "provisioning"},
                    },
                }
                at = start + step * (have + n)
                digest = event_digest(previous, at, fields)
                yield ident, at, fields, previous, digest
                previous = digest

        columns = (
            "id, at, actor_type, actor_id, actor_label, action, tenant_id, request_id, "
            "source_ip, user_agent, details, prev_hash, hash"
        )
        last_id = next_id + missing - 1
        if db.engine.dialect.name == "postgresql":
            raw = db.engine.raw_connection()
            try:
                with (
                    raw.cursor() as cur,
                    cur.copy(f"COPY audit_events ({columns}) FROM STDIN") as copy,
                ):
                    for ident, at, f, prev, digest in rows():
                        copy.write_row(
                            (
                                ident,
                                at,
                                f["actor_type"],
                                f["actor_id"],
                                f["actor_label"],
                                f["action"],
                                f["tenant_id"],
                                f["request_id"],
                                f["source_ip"],
                                f["user_agent"],
                                json.dumps(f["details"]),
                                prev,
                                digest,
                            )
                        )
                raw.commit()
            finally:
                raw.close()
        else:
            batch = []
            for ident, at, f, prev, digest in rows():
                batch.append({**f, "id": ident, "at": at, "prev_hash": prev, "hash": digest})
                if len(batch) == 10_000:
                    db.session.execute(insert(AuditEvent.__table__), batch)
                    batch.clear()
            if batch:
                db.session.execute(insert(AuditEvent.__table__), batch)
        head = db.session.get(AuditChainHead, HEAD_ID, populate_existing=True)
        head.last_hash, head.last_event_id = previous, last_id
        head.events = head.events + missing
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval('audit_events_id_seq', :v)"), {"v": last_id})
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE audit_events"))
        return missing


# Measuring one export in a fresh process ---------------------------------------------------------


def measure_export(fmt: str) -> dict:
    """Sign in as an auditor and stream a full export through the web route, chunk by chunk."""
    app = make_app()
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "auditor@example.com", "password": "auditor-password-123"}
    )
    assert response.status_code == 302, response.status_code
    before = rss_mib()
    highest = before

    def stream() -> tuple[int, int]:
        nonlocal highest
        response = client.get(f"/audit/export.{fmt}", buffered=False)
        lines = size = 0
        for chunk in response.response:
            size += len(chunk)
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
            highest = max(highest, rss_mib())
        response.close()
        return lines, size

    started = time.perf_counter()
    lines, size = stream()  # timed, and its resident memory sampled at every chunk
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # again, with every Python allocation traced (several times slower)
    stream()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "lines": lines,
        "bytes": size,
        "seconds": round(elapsed, 2),
        "tracemalloc_peak_mib": round(peak / 2**20, 2),
        "rss_before_mib": round(before, 1),
        "rss_highest_during_mib": round(highest, 1),
        "rss_growth_mib": round(highest - before, 1),
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def rss_mib() -> float:
    """The process's resident memory now (Linux), sampled while the export streams."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def measure_naive() -> dict:
    """For comparison: the same rows loaded into a list, as a non-streaming export would."""
    app = make_app()
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import AuditEvent

    with app.app_context():
        tracemalloc.start()
        rows = db.session.execute(select(AuditEvent.__table__)).all()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"rows": len(rows), "tracemalloc_peak_mib": round(peak / 2**20, 2)}


def in_subprocess(mode: str, database_url: str, fmt: str = "jsonl") -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--database-url",
            database_url,
            "--measure",
            mode,
            "--format",
            fmt,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# Pages and verification at the largest size ------------------------------------------------------


def page_timings(app) -> list[dict]:
    """Time each kind of log page (median of 5) and EXPLAIN the query it ran."""
    from sqlalchemy import event, select

    from portal.extensions import db
    from portal.models import AuditEvent, Tenant
    from portal.services.audit.query import AuditFilter, events_page

    results = []
    with app.app_context():
        top = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        tenant = db.session.scalar(select(Tenant.slug).where(Tenant.slug == "tenant-042"))
        middle = datetime.now(UTC).date() - timedelta(days=180)
        cases = [
            ("newest page, no filter", AuditFilter(), None),
            ("page 10,000 deep (before=id)", AuditFilter(), top // 2),
            ("tenant, first page", AuditFilter(tenant=tenant), None),
            ("tenant, deep page", AuditFilter(tenant=tenant), top // 10),
            ("action", AuditFilter(action="secret.revealed"), top // 2),
            ("actor", AuditFilter(actor="staff7@example.com"), None),
            ("kind of actor + action", AuditFilter(actor_type="system", action="run.failed"), None),
            ("one day", AuditFilter(since=middle, until=middle), None),
            ("tenant + date range", AuditFilter(tenant=tenant, since=middle), None),
        ]
        for label, flt, before in cases:
            captured: list[tuple[str, object]] = []

            def capture(conn, cursor, statement, parameters, context, many, into=captured):
                if "FROM audit_events" in statement and "LIMIT" in statement.upper():
                    into.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", capture)
            times = []
            for _ in range(5):
                started = time.perf_counter()
                page = events_page(flt, before=before)
                times.append((time.perf_counter() - started) * 1000)
            event.remove(db.engine, "before_cursor_execute", capture)
            plan = []
            if db.engine.dialect.name == "postgresql" and captured:
                statement, parameters = captured[-1]
                raw = db.engine.raw_connection()
                try:
                    with raw.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                        plan = [r[0] for r in cur.fetchall()]
                finally:
                    raw.close()
            results.append(
                {
                    "case": label,
                    "rows": len(page.rows),
                    "median_ms": round(statistics.median(times), 1),
                    "plan": plan,
                }
            )
    return results


def verify_timing(app) -> dict:
    from portal.services.audit.chain import verify_chain

    with app.app_context():
        before = rss_mib()
        samples = [before]
        started = time.perf_counter()
        report = verify_chain(progress=lambda _n: samples.append(rss_mib()))
        elapsed = time.perf_counter() - started
    return {
        "ok": report.ok,
        "events": report.checked,
        "seconds": round(elapsed, 1),
        "events_per_second": round(report.checked / elapsed),
        "rss_before_mib": round(before, 1),
        "rss_highest_during_mib": round(max(samples), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reset", action="store_true", help="wipe the database first")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--pages-at", type=int, default=0, help="also time pages at this size")
    parser.add_argument("--naive", action="store_true", help="also load all rows, to compare")
    parser.add_argument("--measure", choices=["export", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "csv"])
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='audit-bench-')}/bench.db"
    configure(url)
    if args.measure:
        result = measure_export(args.format) if args.measure == "export" else measure_naive()
        print(json.dumps(result))
        return
    app = make_app()
    if args.reset or args.database_url is None:
        reset(app)
    report: dict = {"database": url.split("@")[-1], "exports": []}
    sizes = [int(s) for s in args.sizes.split(",") if s]
    final = max([*sizes, args.pages_at])
    for size in sizes:
        started = time.perf_counter()
        added = grow(app, size, final)
        seeded = round(time.perf_counter() - started, 1)
        for fmt in ("jsonl", "csv"):
            result = in_subprocess("export", url, fmt)
            result.update(events=size, format=fmt, seeded_seconds=seeded if added else 0)
            print(json.dumps(result), file=sys.stderr)
            report["exports"].append(result)
        if args.naive:
            naive = in_subprocess("naive", url)
            naive["events"] = size
            print(json.dumps({"naive": naive}), file=sys.stderr)
            report.setdefault("naive", []).append(naive)
    if args.pages_at:
        grow(app, args.pages_at, final)
        report["pages"] = page_timings(app)
        report["verify"] = verify_timing(app)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
