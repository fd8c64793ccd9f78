"""A web worker's long-lived objects stay out of full garbage collections (portal/web/heap.py)."""

from __future__ import annotations

import gc

import pytest

from portal import create_app
from portal.web.heap import freeze_when_warm


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs with the collector as CPython starts it


class Kept:
    """What a request leaves behind for good, like a compiled template or statement."""


def frozen(obj: object) -> bool:
    """In no generation a collection walks: the permanent one gc.freeze() made."""
    return not any(any(o is obj for o in gc.get_objects(g)) for g in range(3))


def test_the_heap_is_frozen_when_built_and_again_as_requests_warm_it(app, db, unfrozen):
    app = create_app({"TESTING": True})  # a process of its own: no request served yet
    before = Kept()
    freeze_when_warm(app, after=(3, 6))
    assert frozen(before) and gc.get_freeze_count() > 10_000  # the app's modules and mappers
    kept: list[Kept] = []
    app.before_request(lambda: kept.append(Kept()))
    client = app.test_client()

    seen = []
    for _ in range(8):
        assert client.get("/healthz").status_code == 200
        seen.append([frozen(k) for k in kept])

    # Frozen after the 3rd and the 6th request's end, and not after the last threshold.
    assert seen[1] == [False, False]
    assert seen[2] == [True, True, True]
    assert seen[4] == [True, True, True, False, False]
    assert seen[5] == [True] * 6
    assert seen[7] == [True] * 6 + [False, False]
