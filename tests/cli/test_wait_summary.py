"""`tenants onboard --wait` ends as the last run ends: its closing summary reads the database in
the same few queries for 6 tenants or 12, not several per tenant (200 tenants took 0.5-2.5 s)."""

from __future__ import annotations

from sqlalchemy import event

from portal.cli.tenants import wait_for
from portal.models import Tenant
from portal.services.engine.queue import latest_runs
from tests.support import factories as f


def queries_of_wait(db, slugs: list[str]) -> tuple[int, list[dict]]:
    tenants = [db.session.query(Tenant).filter_by(slug=s).one() for s in slugs]
    runs = list(latest_runs([t.id for t in tenants]).values())
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    db.session.expire_all()  # as the queueing's commits leave them
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        summaries = wait_for(tenants, runs, timeout=5)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements), summaries


def test_the_waits_summary_takes_as_many_queries_for_12_tenants_as_for_6(
    db, cognito_emulator, oidc_idp
):
    f.pool(cognito_emulator)
    slugs = [f"tenant-{n}" for n in range(12)]
    for run in f.onboard(*(f.tenant(s, oidc_idp) for s in slugs)):
        assert f.run_now(run) == "succeeded"

    few, few_summaries = queries_of_wait(db, slugs[:6])  # more than 5: a tally, not steps
    many, many_summaries = queries_of_wait(db, slugs)

    assert many == few
    assert {s["slug"] for s in many_summaries} == set(slugs)
    assert all(s["status"] == "ready" and len(s["steps"]) == 5 for s in many_summaries)
    assert all(s["run"]["status"] == "succeeded" for s in few_summaries)
