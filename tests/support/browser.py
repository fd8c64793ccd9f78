"""Debian's Chromium through Playwright, against the app served from this test process."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.support.environment import INSTANCE, ROOT

# The README's screenshots are refreshed only when asked (PORTAL_UPDATE_SCREENSHOTS=1), so an
# ordinary run does not rewrite tracked files; otherwise they go to this session's own instance
# folder (one per xdist worker), never a folder that concurrent sessions share.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("PORTAL_UPDATE_SCREENSHOTS")
    else INSTANCE / "screenshots"
)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@pytest.fixture
def live_server(app, db) -> Iterator[str]:
    """The app on 127.0.0.1 (a free port) in a thread: same process, same database."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def unlabelled_fields(page) -> list[str]:
    """Visible form controls without a label or an accessible name."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, textarea'))
            .filter(el => !['hidden', 'submit', 'button', 'reset'].includes(el.type))
            .filter(el => el.offsetParent !== null)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id)"""
    )


def overflows_horizontally(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"
    )


def screenshot(page, name: str, **kwargs) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **kwargs)


def sideways(page) -> list[str]:
    """The elements reaching past the right edge of the screen (tag#id.class), outermost first."""
    return page.evaluate(
        """() => { const width = document.documentElement.clientWidth; const out = [];
            document.querySelectorAll('body *').forEach(el => {
              const r = el.getBoundingClientRect();
              if (r.right > width + 1 && r.width > 0 && !out.some(o => o.el.contains(el)))
                out.push({el, name: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                  + (el.className && typeof el.className === 'string'
                     ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                  + ' ' + Math.round(r.right) + 'px'});
            });
            return out.slice(0, 5).map(o => o.name); }"""
    )


def sign_in(page, base: str, role: str = "staff", password: str | None = None) -> None:
    """Sign in through the form as ROLE@example.com (the `users` fixture's accounts)."""
    from playwright.sync_api import expect

    from tests.support.web import PASSWORDS

    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(f"{role}@example.com")
    page.get_by_label("Password").fill(password or PASSWORDS[role])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
