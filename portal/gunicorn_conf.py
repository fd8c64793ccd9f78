"""gunicorn settings for the portal: `gunicorn --config python:portal.gunicorn_conf ...`.

Only what gunicorn cannot take on its command line lives here: its own log lines go through the
portal's handler (JSON in production, secrets redacted), and a finished worker's live metrics
are dropped from the multiprocess directory. Bind address, workers and threads stay on the
command line, where docker-compose.yml shows them.
"""

from __future__ import annotations

import os

from portal.observability.logs import dict_config

logconfig_dict = dict_config()
accesslog = "-"
# Whom, what, status, size, microseconds, and the request id the portal gave the request.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus request_id=%({x-request-id}o)s'


def child_exit(_server, worker) -> None:
    """Forget a finished worker's gauges (counters stay: totals must not go down)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
