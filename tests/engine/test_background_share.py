"""The drift sweep yields to a batch: while runs are active it takes at most its share of a quota.

A worker process onboards a batch in two pools while this process sweeps tenants of a third pool
as fast as the limiter lets it. The emulator's call log (what Cognito received, with when) is
counted per quota category and second: the sweep's calls stay within the share, so the runs keep
the rest of every quota. The sweep passes over its tenants during the batch and once more after
it: checks stay reads and find nothing.
"""

from __future__ import annotations

import collections
import time

import pytest
from sqlalchemy import func, select, update

from portal.cognito.quotas import CATEGORY_RPS, category_of
from portal.devtools.emulator.ratelimit import busiest_second
from portal.models import DriftFinding, Run, RunStatus, Tenant, UserPool, utcnow
from portal.services.engine import drift
from tests.support import factories as f
from tests.support.settings import set_settings
from tests.support.workers import wait_until

pytestmark = pytest.mark.slow
SHARE = 0.05  # below the default: the unrestricted sweep, CPU-bound here, is far above it


def sweep_passes(db, ids: list[int], batch_done) -> int:
    """The drift sweep, unpaced, again and again over its tenants until the batch is done."""
    passes = 0
    deadline = time.monotonic() + 120
    while not batch_done() and time.monotonic() < deadline:
        assert drift.sweep(limit=len(ids), pace=0) == len(ids)
        passes += 1
        db.session.execute(update(Tenant).where(Tenant.id.in_(ids)).values(drift_checked_at=None))
        db.session.commit()
    return passes


def test_a_drift_sweep_during_a_batch_stays_within_its_share(
    app, db, cognito_emulator, oidc_idp, start_worker, monkeypatch
):
    set_settings(monkeypatch, app, background_quota_share=SHARE)
    swept = f.pool(cognito_emulator)
    sweep_tenants = [f.tenant(f"sweep-{n}", oidc_idp, pool_id=swept.user_pool_id) for n in range(3)]
    for run in f.onboard(*sweep_tenants):
        assert f.run_now(run) == RunStatus.SUCCEEDED
    db.session.execute(update(UserPool).where(UserPool.id == swept.id).values(closed=True))
    batch_pools = {f.pool(cognito_emulator).user_pool_id for _ in range(2)}
    batch = [f.tenant(f"batch-{n}", oidc_idp) for n in range(16)]
    # Checked a moment ago: the sweep is not due to look at them when they become ready.
    db.session.execute(
        update(Tenant).where(Tenant.id.in_([t.id for t in batch])).values(drift_checked_at=utcnow())
    )
    db.session.commit()
    ids = [t.id for t in sweep_tenants]
    start_worker(concurrency=4)
    time.sleep(2.5)  # the sweep tenants' own runs no longer count as demand
    cognito_emulator.clear_calls()

    runs = f.onboard(*batch)
    run_ids = [r.id for r in runs]

    def batch_done() -> bool:
        db.session.rollback()
        return not db.session.scalar(
            select(func.count()).where(
                Run.id.in_(run_ids), Run.status.in_((RunStatus.QUEUED, RunStatus.RUNNING))
            )
        )

    passes = sweep_passes(db, ids, batch_done)
    assert wait_until(batch_done, 60)
    assert passes >= 1  # the sweep ran throughout the batch
    assert drift.sweep(limit=len(ids), pace=0) == len(ids)  # and once more, with nothing queued
    assert {r.status for r in db.session.scalars(select(Run).where(Run.id.in_(run_ids)))} == {
        RunStatus.SUCCEEDED
    }
    assert not db.session.scalar(select(func.count()).select_from(DriftFinding))

    calls = cognito_emulator.calls()
    batch_times = [c.at for c in calls if c.user_pool_id in batch_pools]
    first, last = min(batch_times), max(batch_times)
    assert (last - first).total_seconds() > 1.5  # long enough to measure
    sweep_calls: dict[str, list[float]] = collections.defaultdict(list)
    for call in calls:
        if call.user_pool_id == swept.user_pool_id and first <= call.at <= last:
            sweep_calls[category_of(call.operation)].append((call.at - first).total_seconds())
    assert sweep_calls  # the sweep did call while the batch ran
    window = (last - first).total_seconds()
    for category, times in sweep_calls.items():
        allowed = CATEGORY_RPS[category] * SHARE
        # GCRA lets one call through at once, then one per 1/allowed s; a second may see the
        # edge of one more (network timing between the limiter and the emulator's clock).
        assert busiest_second(times) <= int(allowed) + 2, (category, times)
        assert len(times) <= allowed * window + 2, (category, len(times), window)
