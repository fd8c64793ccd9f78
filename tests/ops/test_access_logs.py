"""Access logs of every server: setup-link tokens and the test sign-in's code and state redacted."""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from portal.observability.access import ACCESS_LOGGERS, AccessLogFilter
from portal.observability.logs import dict_config
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.leakscan import LeakScan, ScanHandler
from tests.support.selfservice import new_link

CODE = "c0de-from-the-idp-9f8e7d6c"
STATE = "st4te-of-the-test-1a2b3c4d5e"


class Lines(logging.Handler):
    """Every line the access loggers hand to handlers, as the handlers see it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def served(app) -> Iterator[str]:
    """The portal on Werkzeug's server (what `portal run` and `portal dev` use), on 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def access_lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_werkzeug_access_lines_hold_no_setup_token_code_or_state(db, served, access_lines):
    with acting_as(f.TEST_ACTOR):
        tenant = create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    _link, token = new_link(tenant)
    assert _get(f"{served}/setup/{token}") == 200
    assert _get(f"{served}/setup/{token}/status") == 200
    _get(f"{served}/test-sign-in/callback?code={CODE}&state={STATE}&x=1")
    text = "\n".join(access_lines.lines)
    assert token not in text and CODE not in text and STATE not in text
    assert '"GET /setup/[redacted] HTTP/1.1" 200' in text
    assert '"GET /setup/[redacted]/status HTTP/1.1" 200' in text
    assert "/test-sign-in/callback?code=[redacted]&state=[redacted]&x=1" in text


def test_the_leak_scan_reads_access_logs_and_would_catch_a_token(db, served):
    scan = LeakScan()
    scan.learn_url_secret("short-made-up-token-0123")
    handler = ScanHandler(scan)
    logging.getLogger().addHandler(handler)
    werkzeug = logging.getLogger("werkzeug")
    [redactor] = [x for x in werkzeug.filters if isinstance(x, AccessLogFilter)]
    try:
        _get(f"{served}/setup/fine-because-redacted-0123456789abcdefghij")
        werkzeug.removeFilter(redactor)  # as before the fix
        _get(f"{served}/setup/short-made-up-token-0123")
    finally:
        werkzeug.addFilter(redactor)
        logging.getLogger().removeHandler(handler)
    assert any("GET /setup/[redacted]" in line for line in scan.log_text)
    assert scan.finish() == ["a setup-link token or sign-in state/code (shor...) in the logs"]


def test_gunicorn_access_logs_are_filtered_by_its_logging_config():
    config = dict_config()
    assert config["filters"]["access"]["()"] is AccessLogFilter
    for name in ACCESS_LOGGERS:
        assert config["loggers"][name]["filters"] == ["access"]
    line = f"GET /setup/tok3n-abc?state={STATE} HTTP/1.1"
    atoms = {"h": "10.0.0.1", "r": line, "s": "200"}  # gunicorn logs a format and its atoms
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s', (atoms,), None
    )
    AccessLogFilter().filter(record)
    assert record.getMessage() == '10.0.0.1 "GET /setup/[redacted]?state=[redacted] HTTP/1.1" 200'


def test_werkzeug_access_lines_hold_no_password_reset_token(db, served, access_lines, users):
    from portal.services.access.password_resets import issue
    from portal.services.access.users import find_user

    with acting_as(f.TEST_ACTOR):
        issued = issue(find_user("staff@example.com"))
    assert _get(f"{served}/reset-password/{issued.token}") == 200
    text = "\n".join(access_lines.lines)
    assert issued.token not in text
    assert '"GET /reset-password/[redacted] HTTP/1.1" 200' in text
