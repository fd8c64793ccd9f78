"""Where each page's time goes: session load, queries, template rendering, the rest of Python.

Runs in one process against the database bench/web.py seeded (run that first; this changes
nothing but a signed-in session and an API token), signed in through the real sign-in form, and
requests each page of bench/web.py one at a time through the Flask test client. Per request it
splits the wall time into:

- session: Flask-Login's user load (the user, the server-side session, its last-seen touch)
  or, on the API, the bearer token's check and its rate limit, with their queries;
- queries: the SQL the view runs (count and time, from SQLAlchemy's cursor events);
- template: Jinja rendering, less the queries it triggers (lazy loads, counted under queries);
- other: everything else (ORM object loading, routing, forms, hooks, the test client);
- cpu: the Python process's CPU time for the request (PostgreSQL's is not in it), steadier
  than the wall times when other work shares the cores;
- gc: the garbage collector's pauses during the request (inside the other columns), with the
  longest one of all requests of the page: a pause stops every thread of a gunicorn worker;
- calls: thousands of Python function calls per request (cProfile over 20 more requests): the
  same on every run, where the times here swing by half on a shared machine, so a change's
  effect on the CPU shows in it before the times settle.

The app is built as gunicorn builds it (portal/wsgi.py: its heap frozen once built and again
when warm, portal/web/heap.py); `--unfrozen` leaves the collector as CPython starts it.

    BENCH_PG_DATABASE=bench_web .venv/bin/python bench/web_profile.py [--requests 200]
        [--page TEXT] [--sql] [--unfrozen]

Prints the median per page and category, and the queries of one request when --sql is given.
For a profile of one page: `py-spy record -f raw -o audit.txt -- .venv/bin/python
bench/web_profile.py --page audit --requests 300`.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import web  # noqa: E402  (bench/web.py: the same database, pages and admin)

CATEGORIES = ("session", "queries", "template", "other")


class Split:
    """Time per category of the request in flight; SQL is charged to `queries` wherever it runs,
    and its count to the phase it ran in."""

    def __init__(self) -> None:
        self.phase: list[str] = ["other"]
        self.times: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.statements: list[tuple[float, str]] = []
        self._sql_started = 0.0
        self._phase_started: list[float] = []

    def enter(self, phase: str) -> None:
        self.phase.append(phase)
        self._phase_started.append(time.perf_counter())

    def leave(self) -> None:
        phase = self.phase.pop()
        self.times[phase] += time.perf_counter() - self._phase_started.pop()

    def collecting(self, phase: str, _info: dict[str, Any]) -> None:
        """gc.callbacks: time each collection, charged to `gc` whatever phase it fell in."""
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        pause = time.perf_counter() - self._gc_started
        self.times["gc"] += pause
        self.longest_gc = max(getattr(self, "longest_gc", 0.0), pause)

    def before_sql(self, *_args: Any) -> None:
        self._sql_started = time.perf_counter()

    def after_sql(self, _conn, _cursor, statement: str, *_args: Any) -> None:
        elapsed = time.perf_counter() - self._sql_started
        self.times["sql:" + self.phase[-1]] += elapsed
        self.counts[self.phase[-1]] += 1
        self.statements.append((elapsed, statement))


def timed(split: Split, phase: str, function: Callable) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        split.enter(phase)
        try:
            return function(*args, **kwargs)
        finally:
            split.leave()

    return wrapper


def instrument(app, split: Split) -> None:
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    from portal.extensions import db
    from portal.web.api import auth as api_auth
    from portal.web.extensions import login_manager

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", split.before_sql)
    event.listen(engine, "after_cursor_execute", split.after_sql)
    login_manager._user_callback = timed(split, "session", login_manager._user_callback)
    for name in ("_token", "_second_factor", "_rate_limit"):
        setattr(api_auth, name, timed(split, "session", getattr(api_auth, name)))

    def started(*_args: Any, **_kwargs: Any) -> None:
        split.enter("template")

    def finished(*_args: Any, **_kwargs: Any) -> None:
        split.leave()

    before_render_template.connect(started, app, weak=False)
    template_rendered.connect(finished, app, weak=False)


def sign_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": web.ADMIN_EMAIL, "password": web.ADMIN_PASSWORD},
    )
    assert response.status_code == 302, response.status_code


def python_calls(client, path: str, headers: dict[str, str], requests: int = 20) -> float:
    """Python function calls per request of PATH, counted by cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path, headers=headers)
    profiler.disable()
    return pstats.Stats(profiler).total_calls / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sql", action="store_true", help="Print one request's statements.")
    parser.add_argument("--page", default="", help="Only the pages whose label holds this.")
    parser.add_argument(
        "--unfrozen", action="store_true", help="Do not freeze the heap as portal/wsgi.py does."
    )
    args = parser.parse_args()
    env = web.environment(Path(tempfile.mkdtemp(prefix="portal-bench-profile-")))
    token = web.api_token(env)
    os.environ.update(env)
    from portal import create_app

    app = create_app()
    if not args.unfrozen:
        from portal.web.heap import freeze_when_warm

        freeze_when_warm(app)
    split = Split()
    instrument(app, split)
    gc.callbacks.append(lambda phase, info: split.collecting(phase, info))
    client = app.test_client()
    sign_in(client)
    print(
        f"{'page':<24} {'total':>6} {'session':>8} {'queries':>8} {'n':>4} "
        f"{'template':>9} {'other':>6} {'cpu':>6} {'p95':>6} {'gc':>5} {'gc max':>7} {'calls':>6}"
        f"   (median ms of {args.requests} requests; p95 of total; gc: mean and longest pause)"
    )
    for label, path, api in [p for p in web.PAGES if args.page in p[0]]:
        headers = {"Authorization": f"Bearer {token}"} if api else {}
        samples: dict[str, list[float]] = defaultdict(list)
        counts: list[int] = []
        split.longest_gc = 0.0
        for n in range(args.requests + 10):
            longest = split.longest_gc
            split.__init__()
            split.longest_gc = longest if n >= 10 else 0.0
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu
            assert response.status_code == 200, (path, response.status_code)
            if n < 10:
                continue  # warm-up: caches, prepared statements, compiled templates
            sql = sum(v for k, v in split.times.items() if k.startswith("sql:"))
            session = split.times["session"] - split.times["sql:session"]
            template = split.times["template"] - split.times["sql:template"]
            samples["total"].append(total)
            samples["cpu"].append(cpu)
            samples["session"].append(split.times["session"])
            samples["queries"].append(sql - split.times["sql:session"])
            samples["template"].append(template)
            samples["other"].append(total - sql - session - template)
            samples["gc"].append(split.times["gc"])
            counts.append(sum(split.counts.values()))
        cells = {k: statistics.median(v) * 1000 for k, v in samples.items()}
        p95 = statistics.quantiles(samples["total"], n=20)[18] * 1000
        gc_mean = statistics.fmean(samples["gc"]) * 1000
        session_queries = split.counts["session"]
        print(
            f"{label:<24} {cells['total']:>6.1f} {cells['session']:>5.1f}/{session_queries:<2}"
            f" {cells['queries']:>8.1f} {statistics.median(counts):>4.0f} "
            f"{cells['template']:>9.1f} {cells['other']:>6.1f} {cells['cpu']:>6.1f}"
            f" {p95:>6.1f} {gc_mean:>5.1f} {split.longest_gc * 1000:>7.1f}"
            f" {python_calls(client, path, headers) / 1000:>5.1f}k"
        )
        if args.sql:
            for elapsed, statement in split.statements:
                print(f"    {elapsed * 1000:6.2f} ms  {' '.join(statement.split())[:160]}")


if __name__ == "__main__":
    main()
