"""A broker that is down when runs are queued loses nothing: the runs are committed as queued,
the sender says so once per run, and the stale-run sweep sends them when the broker is back."""

from __future__ import annotations

import logging

from kombu import Connection

from portal.models import RunStatus
from portal.services.engine.queue import queue_onboarding
from portal.workers.producer import EXTENSION, TaskProducer
from tests.support import factories as f


def test_queueing_with_the_broker_down_commits_the_runs_and_warns(
    app, db, cognito_emulator, oidc_idp, caplog
):
    f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(2)]
    producer = TaskProducer(app)
    producer._connection = Connection("redis://127.0.0.1:1/0", connect_timeout=1)
    app.extensions.pop("celery", None)  # the CLI's and the web's way: kombu alone
    app.extensions[EXTENSION] = producer

    with caplog.at_level(logging.WARNING, logger="portal.services.engine.dispatch"):
        runs = queue_onboarding(tenants)

    assert [r.status for r in runs] == [RunStatus.QUEUED, RunStatus.QUEUED]
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("could not prepare to send runs (OperationalError)") == 1
    assert sum(m.startswith("could not enqueue run") for m in messages) == 2
