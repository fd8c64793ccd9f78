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
