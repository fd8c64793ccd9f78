"""The API reference renders from vendored assets under the portal's strict CSP (Chromium)."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live_portal(app, db):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_reference_page_renders_every_operation_without_csp_violations(live_portal):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        page = browser.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        response = page.goto(f"{live_portal}/api/v1/docs")
        assert response.status == 200
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/v1/tenants/{slug}/oidc-config" in text for text in paths)
        assert page.get_by_text("Cognito tenant portal API").first.is_visible()
        browser.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert all(url.startswith(live_portal) or url.startswith("data:") for url in requests)
