"""/healthz and /readyz: cheap, unauthenticated, and saying nothing an attacker could use."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import yaml
from sqlalchemy import event

from portal import create_app
from tests.support import factories as f
from tests.support.environment import ROOT
from tests.support.leakscan import LEAK_SCAN
from tests.support.net import free_port
from tests.support.settings import set_settings

SECRET_DB_PASSWORD = "hunter2-db-password"
LINK_TOKEN = "made-up-setup-link-token-0123456789abcdefghij"
CODE = "made-up-authorization-code-5678"


def probe(app, path: str):
    with app.test_client() as client:
        return client.get(path)


def test_healthz_is_alive_and_needs_no_sign_in(app, db) -> None:
    response = probe(app, "/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_readyz_reports_each_dependency(app, db) -> None:
    response = probe(app, "/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok"},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_makes_one_query(app, db) -> None:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert probe(app, "/readyz").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == ["SELECT 1"]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung dependency)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def broken_app(database_port: int, broker_port: int):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 5}},
        },
        settings={
            "database_url": (
                f"postgresql+psycopg://portal:{SECRET_DB_PASSWORD}@127.0.0.1:{database_port}/x"
            ),
            "broker_url": f"redis://:{SECRET_DB_PASSWORD}@127.0.0.1:{broker_port}/0",
            "readyz_timeout_seconds": 0.5,
        },
    )


def assert_reveals_nothing(response) -> None:
    body = response.get_data(as_text=True)
    for leak in (SECRET_DB_PASSWORD, "127.0.0.1", "psycopg", "redis", "Error", "refused"):
        assert leak not in body
    assert "Server" not in response.headers


def test_readyz_says_unavailable_and_nothing_more_when_dependencies_are_down(
    local_cognito, silent_port, caplog
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connections are refused at once

    for app in (broken_app(closed_port, closed_port), broken_app(silent_port, silent_port)):
        response = probe(app, "/readyz")
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "not ready",
            "checks": {"database": "unavailable", "broker": "unavailable"},
        }
        assert_reveals_nothing(response)
    # The operator learns which check failed and the exception class, not its text.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "readiness: database" in logged and SECRET_DB_PASSWORD not in logged


def test_readyz_can_check_cognito_with_one_cheap_read(app, db, cognito_emulator, monkeypatch):
    f.pool(cognito_emulator)
    set_settings(monkeypatch, app, readyz_cognito=True)
    try:
        cognito_emulator.clear_calls()
        ok = probe(app, "/readyz")
        assert ok.get_json()["checks"] == {"database": "ok", "broker": "ok", "cognito": "ok"}
        assert [c.operation for c in cognito_emulator.calls()] == ["DescribeUserPool"]
        cognito_emulator.configure(error_rate=1.0)
        down = probe(app, "/readyz")
        assert down.status_code == 503
        assert down.get_json()["checks"]["cognito"] == "unavailable"
        assert_reveals_nothing(down)
    finally:
        cognito_emulator.configure(error_rate=0.0)


def run_portal(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_probe_ready_is_the_readyz_check_for_processes_without_a_port(app, db) -> None:
    ready = run_portal("probe", "ready")
    assert ready.returncode == 0, ready.stderr
    assert json.loads(ready.stdout)["status"] == "ready"
    down = run_portal("probe", "ready", PORTAL_BROKER_URL="redis://127.0.0.1:1/0")
    assert down.returncode == 1
    assert json.loads(down.stdout)["checks"]["broker"] == "unavailable"


@pytest.mark.slow
def test_the_compose_web_command_serves_the_probes_with_json_logs(app, db, tmp_path) -> None:
    """Run gunicorn exactly as docker-compose.yml does (but on a free local port)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    command = list(compose["services"]["web"]["command"])
    port = free_port()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=ROOT,
            env={**os.environ, "PORTAL_LOG_FORMAT": "json"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            health = _get_when_up(f"http://127.0.0.1:{port}/healthz", server)
            assert json.loads(health.read()) == {"status": "ok"}
            assert health.headers["Server"] == "gunicorn"  # no version
            ready = urllib.request.urlopen(
                urllib.request.Request(
                    f"http://127.0.0.1:{port}/readyz", headers={"X-Request-Id": "probe-req-42"}
                ),
                timeout=10,
            )
            assert json.loads(ready.read())["status"] == "ready"
            for path in (f"/setup/{LINK_TOKEN}", f"/test-sign-in/callback?code={CODE}&state=s"):
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
        finally:
            server.terminate()
            server.wait(15)
    text = log_path.read_text()
    LEAK_SCAN.log_text.extend(text.splitlines())
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert any("request_id=probe-req-42" in line["message"] for line in access)
    # Setup-link tokens and the test sign-in's code and state never reach the access log.
    assert LINK_TOKEN not in text and CODE not in text
    assert any('"GET /setup/[redacted] HTTP/1.1" 404' in line["message"] for line in access)
    assert any("callback?code=[redacted]&state=[redacted]" in line["message"] for line in access)
    assert {"time", "level", "logger", "message"} <= set(lines[0])


def _get_when_up(url: str, server: subprocess.Popen):
    for _ in range(200):
        if server.poll() is not None:
            raise AssertionError("gunicorn exited")
        try:
            return urllib.request.urlopen(url, timeout=5)  # noqa: S310 - our own local server
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")
