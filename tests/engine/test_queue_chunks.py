"""Bulk queueing: growing chunks, each enqueued right after its commit, spread over the pools."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from portal.models import Run, Tenant
from portal.services.engine import queue
from portal.services.engine.queue import chunks, spread_over_pools
from portal.services.tenants.records import create_tenant
from portal.validation import ValidationError
from tests.support import factories as f


def test_chunks_grow_from_one_to_the_cap():
    assert [len(c) for c in chunks(list(range(100)), largest=32)] == [1, 2, 4, 8, 16, 32, 32, 5]
    assert [len(c) for c in chunks([1, 2, 3])] == [1, 2]
    assert [len(c) for c in chunks(list(range(31)))] == [1, 2, 4, 8, 8, 8]  # the default cap
    assert list(chunks([])) == []


def test_runs_are_sent_round_robin_over_pools():
    prepared = [(1, True, 10), (2, True, 10), (3, True, 10), (4, True, 20), (5, False, 30)]
    assert spread_over_pools(prepared) == [(1, True), (4, True), (5, False), (2, True), (3, True)]


@pytest.fixture
def sent(monkeypatch, db) -> list[tuple[int, int]]:
    """(run id, runs committed at that moment) for every run sent to the broker."""
    record: list[tuple[int, int]] = []

    def enqueue(run_id, countdown=None):
        record.append((run_id, db.session.scalar(select(func.count(Run.id)))))
        return True

    monkeypatch.setattr(queue, "enqueue_run", enqueue)
    return record


@pytest.mark.slow
def test_a_batch_is_sent_chunk_by_chunk_spread_over_pools(db, cognito_emulator, oidc_idp, sent):
    for _ in range(2):
        f.pool(cognito_emulator)
    tenants = [f.tenant(f"t{n:02d}", oidc_idp) for n in range(12)]
    runs = f.onboard(*tenants)
    assert len(runs) == 12 and len(sent) == 12
    # The first run went out after a commit of one run, long before the last was queued.
    assert sent[0][1] == 1
    assert [committed for _, committed in sent] == [1, 3, 3, 7, 7, 7, 7, 12, 12, 12, 12, 12]
    pool_of = {
        r.id: t.pool_id
        for r, t in zip(runs, (db.session.get(Tenant, t.id) for t in tenants), strict=True)
    }
    last_chunk = [pool_of[run_id] for run_id, _ in sent[7:]]
    assert len(set(last_chunk)) == 2  # the tail alternates between the two pools
    assert all(a != b for a, b in itertools.pairwise(last_chunk))
    # Asking again queues nothing new and sends nothing.
    assert [r.id for r in f.onboard(*tenants)] == [r.id for r in runs] and len(sent) == 12


@pytest.mark.slow
def test_an_invalid_tenant_stops_the_batch_after_the_ones_before_it(
    db, cognito_emulator, oidc_idp, sent
):
    f.pool(cognito_emulator)
    good = [f.tenant(f"good{n}", oidc_idp) for n in range(5)]
    with f.acting_as(f.TEST_ACTOR):
        bare = create_tenant("bare", "Bare", ["https://app.example.com/cb"], [])
    with pytest.raises(ValidationError, match="no identity provider settings"):
        f.onboard(*good[:4], bare, good[4])
    queued = db.session.scalars(select(Run.tenant_id)).all()
    assert sorted(queued) == sorted(t.id for t in good[:4])  # good0-good3 queued and sent, no more
    assert len(sent) == 4
