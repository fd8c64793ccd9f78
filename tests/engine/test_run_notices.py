"""Waiters wake on the workers' notices: `--wait` and the progress page, not a poll interval.

Each test makes the fallback re-read interval an hour: a waiter that still returned promptly was
woken by the run's own notice (Redis pub/sub, or the notice file the dev stack uses).
"""

from __future__ import annotations

import json
import re
import threading

import pytest

from portal.models import RunStatus
from portal.services.engine import execution, notices
from tests.support import factories as f
from tests.support.selfservice import new_link
from tests.support.settings import set_settings

HOUR = 3600.0


@pytest.fixture
def waiting(monkeypatch) -> threading.Event:
    """Set once a waiter (the CLI, a held request) starts waiting for notices."""
    started = threading.Event()
    original = notices.Listener.wait

    def wait(self, timeout):
        started.set()
        return original(self, timeout)

    monkeypatch.setattr(notices.Listener, "wait", wait)
    return started


@pytest.fixture(params=["redis", "file"])
def notice_channel(request, app, db, monkeypatch, waiting) -> threading.Event:
    """Notices over Redis or the instance folder's file, and no fallback re-read within the test."""
    changes: dict = {"run_wait_poll_seconds": HOUR, "progress_hold_seconds": 60.0}
    if request.param == "file":
        changes["redis_url"] = None
    set_settings(monkeypatch, app, **changes)
    return waiting


def in_thread(call) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = call()
        except BaseException as exc:  # reported by the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def follow(staff, token: str) -> list[str]:
    """What the browser does: a held request after each answer until the run is done."""
    answers = []
    while True:
        html = staff.get(f"/tenants/acme/progress/steps?since={token}").get_data(as_text=True)
        answers.append(html)
        if "data-poll-done" in html:
            return answers
        token = re.search(r'data-poll-since="(\w+)"', html).group(1)


def follow_setup(customer, link: str, token: str) -> list[str]:
    """The setup page's progress region, as the customer's browser follows it."""
    answers = []
    while True:
        html = customer.get(f"/setup/{link}/status?since={token}").get_data(as_text=True)
        answers.append(html)
        if "data-poll-done" in html:
            return answers
        token = re.search(r'data-poll-since="(\w+)"', html).group(1)


def test_onboard_wait_returns_when_the_last_run_ends(
    cli, db, cognito_emulator, oidc_idp, notice_channel
):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    thread, outcome = in_thread(
        lambda: cli("tenants", "onboard", "acme", "--wait", "--timeout", "120", "--json")
    )
    assert notice_channel.wait(30), "the CLI never started waiting"
    assert f.run_now(run) == RunStatus.SUCCEEDED
    thread.join(30)  # with no notice it would sit until its 120 s timeout, then exit 1
    assert not thread.is_alive(), "--wait did not wake when the run ended"
    result = outcome["result"]
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["status"] == "ready"
    assert "all 1 tenant(s) ready" in result.stderr


def test_progress_long_poll_answers_when_the_run_finishes(
    signed_in, db, cognito_emulator, oidc_idp, notice_channel
):
    f.pool(cognito_emulator)
    [run] = f.onboard(f.tenant("acme", oidc_idp))
    staff = signed_in("staff")
    page = staff.get("/tenants/acme/progress").get_data(as_text=True)
    token = re.search(r'data-poll-since="(\w+)"', page).group(1)
    assert "data-poll-interval" not in page  # no fixed interval while the run is active
    thread, outcome = in_thread(lambda: follow(staff, token))
    assert notice_channel.wait(30), "the request was not held"
    assert f.run_now(run) == RunStatus.SUCCEEDED
    thread.join(30)  # held for 60 s, and re-read only hourly, unless the notice wakes it
    assert not thread.is_alive(), "the held request did not answer when the run finished"
    answers = outcome["result"]
    assert "See the connection details" in answers[-1]
    assert all("data-poll-done" not in html for html in answers[:-1])


def test_progress_long_poll_answers_at_once_when_behind_and_at_the_hold_when_quiet(
    signed_in, db, cognito_emulator, oidc_idp, app, monkeypatch
):
    f.pool(cognito_emulator)
    f.onboard(f.tenant("acme", oidc_idp))
    set_settings(monkeypatch, app, run_wait_poll_seconds=HOUR, progress_hold_seconds=0.5)
    staff = signed_in("staff")
    stale = staff.get("/tenants/acme/progress/steps?since=0000").get_data(as_text=True)
    token = re.search(r'data-poll-since="(\w+)"', stale).group(1)
    assert token != "0000"  # the page had moved on: answered without waiting for news
    quiet = staff.get(f"/tenants/acme/progress/steps?since={token}").get_data(as_text=True)
    assert f'data-poll-since="{token}"' in quiet  # nothing changed within the hold
    assert "data-poll-done" not in quiet


def test_a_lost_notice_costs_only_the_fallback_interval(
    signed_in, db, cognito_emulator, oidc_idp, app, monkeypatch, waiting
):
    f.pool(cognito_emulator)
    [run] = f.onboard(f.tenant("acme", oidc_idp))
    monkeypatch.setattr(execution, "announce", lambda *args: None)  # every notice lost
    set_settings(monkeypatch, app, run_wait_poll_seconds=0.2, progress_hold_seconds=60.0)
    staff = signed_in("staff")
    page = staff.get("/tenants/acme/progress").get_data(as_text=True)
    token = re.search(r'data-poll-since="(\w+)"', page).group(1)
    thread, outcome = in_thread(lambda: follow(staff, token))
    assert waiting.wait(30), "the request was not held"
    assert f.run_now(run) == RunStatus.SUCCEEDED
    thread.join(30)  # held for 60 s unless the re-read every 0.2 s sees the change
    assert not thread.is_alive()
    assert "See the connection details" in outcome["result"][-1]


def test_setup_page_long_poll_answers_when_the_run_finishes(
    app, db, cognito_emulator, oidc_idp, notice_channel
):
    """The customer's setup page follows the run like the staff's progress page: no interval."""
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    _, link = new_link(tenant)
    [run] = f.onboard(tenant)
    customer = app.test_client()
    page = customer.get(f"/setup/{link}").get_data(as_text=True)
    assert "in progress" in page
    token = re.search(r'data-poll-since="(\w+)"', page).group(1)
    assert "data-poll-interval" not in page  # no fixed interval while the run is active
    thread, outcome = in_thread(lambda: follow_setup(customer, link, token))
    assert notice_channel.wait(30), "the request was not held"
    assert f.run_now(run) == RunStatus.SUCCEEDED
    thread.join(30)  # held for 60 s, and re-read only hourly, unless the notice wakes it
    assert not thread.is_alive(), "the held request did not answer when the run finished"
    answers = outcome["result"]
    assert "connected" in answers[-1] and "Run a test sign-in" in answers[-1]
    assert all("data-poll-done" not in html for html in answers[:-1])
