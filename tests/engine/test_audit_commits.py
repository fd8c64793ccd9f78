"""How often a run passes through the audit chain's head: each pass is a wait for every worker."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.models import AuditEvent, RunStatus
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
        "cognito.app_client.created",
        "cognito.attributes.created",
        "cognito.provider.created",
        "cognito.attach.updated",
        "cognito.managed_login.created",
        "run.succeeded",
    ]
    # The second tenant's pool already has its attributes: that step changes nothing.
    assert "cognito.attributes.created" not in run_actions(db, runs[1].id)
    assert (fresh_pool.transactions, known_pool.transactions) == (6, 5)
