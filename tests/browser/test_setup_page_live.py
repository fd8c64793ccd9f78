"""The customer's setup page shows the finished run at once: a long poll woken by run notices."""

from __future__ import annotations

import threading
import time

import pytest
from playwright.sync_api import expect

from portal.models import RunStatus
from portal.services.engine import execution, notices
from tests.support import factories as f
from tests.support.browser import overflows_horizontally, screenshot, sideways
from tests.support.selfservice import new_link
from tests.support.settings import set_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# The old setup page asked every 2 s; the goal is 0.3 s. A held request answers in tens of
# milliseconds idle; a 2-core machine at load 10 measured 0.45-0.5 s (0.2 s of it before the notice,
# in the run's own finishing commit). The margin keeps it from flaking, half the old interval.
SHOWN_WITHIN = 1.0

# Records, in the page, when the progress heading first says "connected" (wall clock, ms).
OBSERVE = """() => {
  window.connectedAt = null;
  new MutationObserver(() => {
    const title = document.getElementById('progress-title');
    if (window.connectedAt === null && title && title.textContent.includes('connected')) {
      window.connectedAt = Date.now();
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def test_setup_page_shows_the_finished_run_within_a_fraction_of_a_second(
    page, live_server, app, db, cognito_emulator, oidc_idp, monkeypatch
):
    # No fallback re-read within the test: only the run's own notice can wake the held request.
    set_settings(monkeypatch, app, run_wait_poll_seconds=3600.0, progress_hold_seconds=60.0)
    held = threading.Event()
    original = notices.Listener.wait

    def wait(self, timeout):
        held.set()
        return original(self, timeout)

    monkeypatch.setattr(notices.Listener, "wait", wait)
    announced: list[float] = []

    def announce(run_id, status):
        announced.append(time.time())
        notices.announce(run_id, status)

    monkeypatch.setattr(execution, "announce", announce)
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    _, link = new_link(tenant)
    [run] = f.onboard(tenant)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/status" in r.url else None)

    page.goto(f"{live_server}/setup/{link}")
    expect(page.locator("#progress-title")).to_contain_text("in progress")
    page.evaluate(OBSERVE)
    assert held.wait(30), "the page did not start a held request"
    assert f.run_now(run) == RunStatus.SUCCEEDED
    db.session.refresh(run)
    finished_ms = run.finished_at.timestamp() * 1000

    expect(page.locator("#progress-title")).to_contain_text("connected", timeout=10_000)
    expect(page.locator("#progress .steps li[data-status=succeeded]")).to_have_count(5)
    shown_after = (page.evaluate("() => window.connectedAt") - finished_ms) / 1000
    print(
        f"setup page showed the finished run {shown_after * 1000:.0f} ms after finished_at "
        f"(its notice went {announced[-1] * 1000 - finished_ms:.0f} ms after finished_at)"
    )
    assert shown_after < SHOWN_WITHIN
    # The mechanism: every request for news is a held one (?since=), none waits on a timer.
    assert requests and all("since=" in url for url in requests), requests

    screenshot(page, "setup-connected-live", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert not overflows_horizontally(page), sideways(page)
    screenshot(page, "setup-connected-live-phone", full_page=True)
