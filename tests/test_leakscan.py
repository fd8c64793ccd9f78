"""The leak scan can fail: it finds each kind of leak it is meant to find."""

from __future__ import annotations

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
