"""The plan in words: per-item marks for lists and maps, one line per scalar, irreversible flags."""

from __future__ import annotations

from portal.services.engine.plan_diff import readable


def lines(change: dict) -> list[str]:
    return [item.text() for item in readable(change).items]


def test_a_list_shows_only_what_is_added_and_removed():
    change = {
        "resource": "app client",
        "action": "update",
        "field": "CallbackURLs",
        "before": ["https://a.example/cb", "https://b.example/cb"],
        "after": ["https://a.example/cb", "https://c.example/cb"],
    }
    assert lines(change) == ["+ https://c.example/cb", "- https://b.example/cb"]
    assert readable(change).kept == 1 and readable(change).irreversible is None


def test_a_map_shows_one_line_per_key_that_differs():
    change = {
        "resource": "identity provider",
        "action": "update",
        "field": "AttributeMapping",
        "before": {"email": "email", "custom:groups": "groups"},
        "after": {"email": "email", "custom:groups": "app_groups", "custom:roles": "roles"},
    }
    assert lines(change) == ["~ custom:groups: groups → app_groups", "+ custom:roles: roles"]


def test_a_scalar_is_one_line_and_a_custom_attribute_warns_it_is_forever():
    scalar = {"resource": "identity provider", "action": "update", "field": "ProviderDetails.x"}
    assert lines({**scalar, "before": "GET", "after": "POST"}) == ["~ GET → POST"]
    added = readable(
        {"resource": "custom attribute", "action": "create", "field": None, "after": "custom:roles"}
    )
    assert [i.text() for i in added.items] == ["+ custom:roles"]
    assert "custom:roles can never be removed" in added.irreversible
