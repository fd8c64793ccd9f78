"""The main menu marks the page's own entry, and only it."""

from __future__ import annotations

import re

import pytest


def current_entries(html: str) -> list[str]:
    return re.findall(r'aria-current="page">([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("path", "entry"),
    [
        ("/tenants", "Tenants"),
        ("/tenants/new", "New tenant"),
        ("/tenants/import", "Import"),
        ("/admin/pools", "User pools"),
        ("/admin/users", "Users"),
        ("/account", "My account"),
        ("/account/tokens", "API tokens"),
    ],
)
def test_one_menu_entry_is_current_and_it_is_the_pages_own(signed_in, path, entry):
    page = signed_in("admin").get(path, follow_redirects=True)
    assert page.status_code == 200
    assert current_entries(page.get_data(as_text=True)) == [entry]


def test_the_menu_links_follow_the_path_the_portal_is_served_under(signed_in):
    """Behind a proxy that mounts the portal at /portal (SCRIPT_NAME), every menu entry links
    under it; served at the root again, none does."""
    browser = signed_in("auditor")

    def menu(root: str = "") -> list[str]:
        html = browser.get("/tenants", base_url=f"http://localhost{root}").get_data(as_text=True)
        nav = re.search(r'<nav class="nav" aria-label="Main">(.*?)</nav>', html, re.S).group(1)
        return re.findall(r'<a href="([^"]+)"', nav)

    mounted = menu("/portal")
    assert mounted == [
        "/portal/tenants",
        "/portal/audit",
        "/portal/account",
        "/portal/account/tokens",
    ]
    assert menu() == [link.removeprefix("/portal") for link in mounted]
