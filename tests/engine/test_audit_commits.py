"""What a run costs besides its Cognito calls: passes through the audit chain's head, compiling."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine.default import CACHE_MISS

from portal.models import AuditEvent, RunStatus
from portal.services.engine.execution import warm_up
from tests.support import factories as f

pytestmark = [pytest.mark.dialect]


class HeadWrites:
    """Counts the transactions that update the audit chain's head row (SQL on the connection)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.transactions = 0
        self._this_transaction = False

    def __enter__(self) -> HeadWrites:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE AUDIT_CHAIN_HEAD"):
            self._this_transaction = True

    def _commit(self, conn) -> None:
        self.transactions += self._this_transaction
        self._this_transaction = False

    def _rollback(self, conn) -> None:
        self._this_transaction = False


def run_actions(db, run_id: int) -> list[str]:
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    return [e.action for e in events if (e.details or {}).get("run_id") == run_id]


def test_an_onboarding_run_takes_the_audit_head_once_per_step_and_not_more(
    db, cognito_emulator, oidc_idp
):
    """The run's start rides on its claim's commit, its success on the last step's commit."""
    f.pool(cognito_emulator)
    first, second = f.tenant("acme", oidc_idp), f.tenant("globex", oidc_idp)
    runs = f.onboard(first, second)
    with HeadWrites(db.engine) as fresh_pool:
        assert f.run_now(runs[0]) == RunStatus.SUCCEEDED
    with HeadWrites(db.engine) as known_pool:
        assert f.run_now(runs[1]) == RunStatus.SUCCEEDED

    # Every event is still there, in the same order, one per change.
    assert run_actions(db, runs[0].id) == [
        "run.queued",
        "run.started",
        "cognito.attributes.created",
        "cognito.provider.created",
        "cognito.app_client.created",
        "cognito.managed_login.created",
        "run.succeeded",
    ]
    # The client is created whole, so attaching changes nothing and records nothing; the second
    # tenant's pool already has its attributes: that step changes nothing either.
    assert "cognito.attributes.created" not in run_actions(db, runs[1].id)
    assert (fresh_pool.transactions, known_pool.transactions) == (5, 4)


class ColdReads:
    """The SELECTs SQLAlchemy had to compile (not in its cache) from the run's claim to its first
    step's start: what a fresh worker's first run does before its first Cognito call."""

    def __init__(self, engine) -> None:
        self.engine, self.selects, self.done = engine, [], False

    def __enter__(self) -> ColdReads:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        text = " ".join(statement.split())
        self.done = self.done or text.upper().startswith("UPDATE RUN_STEPS")
        if not self.done and text.upper().startswith("SELECT"):
            self.selects.append((context.cache_hit == CACHE_MISS, text))


@pytest.mark.parametrize("warmed", [True, False])
def test_a_warmed_up_worker_compiles_none_of_its_first_runs_reads(
    db, cognito_emulator, oidc_idp, warmed
):
    """What a worker does at start (workers/__init__.py, worker_ready) spares its first run."""
    f.pool(cognito_emulator)
    [run] = f.onboard(f.tenant("acme", oidc_idp))
    db.session.remove()
    db.engine._compiled_cache.clear()  # as in a worker process that has just started
    if warmed:
        warm_up()
    with ColdReads(db.engine) as reads:
        assert f.run_now(run) == RunStatus.SUCCEEDED
    tables = {
        t
        for _, text in reads.selects
        for t in ("runs", "tenants", "run_steps")
        if f"FROM {t} " in text
    }
    assert tables == {"runs", "tenants", "run_steps"}  # the reads the check is about were seen
    cold = [text[:100] for miss, text in reads.selects if miss]
    if warmed:
        assert cold == [], cold
    else:  # the check itself sees a cold start
        assert cold != []
