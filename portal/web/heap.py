"""A web process's long-lived objects kept out of the garbage collector's full passes.

A gunicorn worker holds about 200,000 objects that live as long as it does: modules, the ORM's
mappers and compiled statements, Jinja's compiled templates, botocore's models. CPython's full
(generation 2) collection walks all of them, and it pauses every thread of the process while it
does: 100 to 150 ms per pass on the pages of bench/web.py, one pass every 150 requests or so,
which was most of those pages' 95th percentile under people-like load (BENCHMARKS.md, "Pages and
the API under load"; `bench/web_profile.py --unfrozen` shows the pauses). `gc.freeze()` moves
the objects that exist now into a generation no collection visits (the Python documentation
recommends it for pre-forking servers), so a full pass only walks what requests made since.

Frozen once the app is built, then again after 50, 200, 1,000 and 5,000 requests: the first
requests of each kind of page compile and cache what the process keeps (templates, statements,
pick-lists), and a worker meets its kinds of page one after another. At each of those moments
only what survived a collection of the young generations is frozen, and nothing is ever
unfrozen, so a worker keeps for good at most what it held at those five moments.
"""

from __future__ import annotations

import gc
import threading

from flask import Flask

FREEZE_AFTER = (50, 200, 1_000, 5_000)  # requests served


def freeze_when_warm(app: Flask, after: tuple[int, ...] = FREEZE_AFTER) -> None:
    """Freeze the process's heap now, and again after each number of requests in AFTER."""
    gc.collect()  # what is garbage already is not kept
    gc.freeze()
    served = [0]
    last = max(after)
    lock = threading.Lock()

    @app.teardown_request
    def _count(_error: BaseException | None) -> None:
        if served[0] >= last:
            return
        with lock:
            served[0] += 1
            if served[0] in after:
                gc.collect(1)  # the young generations only: no full pass inside a request
                gc.freeze()
