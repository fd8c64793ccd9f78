"""The leak scan can fail: it finds each kind of leak it is meant to find."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.environment import ROOT
from tests.support.leakscan import LeakScan


def test_the_scan_flags_secrets_where_they_must_not_be():
    scan = LeakScan()
    scan.learn_idp_secret("idp-secret-value-123")
    scan.learn_client_secret("clientsecret0123456789")
    scan.check("a page", "<p>idp-secret-value-123</p>")
    scan.check("the reveal page", "clientsecret0123456789", reveal_allowed=True)
    scan.check("another page", "<code>clientsecret0123456789</code>")
    scan.check("a clean page", "nothing to see")
    scan.log_text.append("provider secret idp-secret-value-123 logged")
    assert scan.finish() == [
        "a customer IdP secret (idp-...) in a page",
        "a Cognito client secret (clie...) in another page",
        "a customer IdP secret (idp-...) in the logs",
    ]


def test_an_idp_secret_is_never_allowed_even_on_the_reveal_page():
    scan = LeakScan()
    scan.learn_idp_secret("idp-secret-value-123")
    scan.check("the reveal page", "idp-secret-value-123", reveal_allowed=True)
    assert scan.violations == ["a customer IdP secret (idp-...) in the reveal page"]


PLANTED = """
import logging

from tests.support.leakscan import LEAK_SCAN


def test_a_log_line_leaks_a_customer_secret(app):
    LEAK_SCAN.learn_idp_secret("planted-idp-secret-0123456789")
    logging.getLogger("portal.planted").warning("the IdP said planted-idp-secret-0123456789")


def test_a_secret_that_stays_put(app):
    LEAK_SCAN.learn_idp_secret("kept-idp-secret-9876543210")
"""


@pytest.mark.slow
def test_a_leak_found_by_one_xdist_worker_fails_the_whole_run(tmp_path: Path) -> None:
    """Under xdist a worker's exit status never reaches the controller: the verdict must."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["tests.support.environment", "tests.support.fixtures"]\n'
    )
    (tmp_path / "test_planted.py").write_text(PLANTED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # Its own SQLite files: the planted session never touches this session's database.
    env.update(PYTHONPATH=str(ROOT), PORTAL_TEST_DATABASE="sqlite")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert "2 passed" in output, output  # the tests pass; the scan alone fails the run
    assert result.returncode == 1, output
    assert "leak scan: 2 customer IdP secrets, 0 Cognito client secrets" in output
    assert "followed; 1 finding" in output
    assert "LEAK: a customer IdP secret (plan...) in the logs" in output


def test_setup_tokens_and_sign_in_values_may_be_on_pages_but_nowhere_else():
    scan = LeakScan()
    scan.learn_url_secret("setup-token-abcdefghijklmnopqrstuvwxyz-0123")
    scan.check(
        "the setup page", "<a href='/setup/setup-token-abcdefghijklmnopqrstuvwxyz-0123'>", page=True
    )
    scan.check(
        "the database (plain text)", "https://p/setup/setup-token-abcdefghijklmnopqrstuvwxyz-0123"
    )
    scan.log_text.append('"GET /setup/setup-token-abcdefghijklmnopqrstuvwxyz-0123 HTTP/1.1" 200')
    assert scan.finish() == [
        "a setup-link token or sign-in state/code (setu...) in the database (plain text)",
        "a setup-link token or sign-in state/code (setu...) in the logs",
    ]
