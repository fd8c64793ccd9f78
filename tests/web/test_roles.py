"""Roles and CSRF across the whole URL map: auditors read, never change or see secrets."""

from __future__ import annotations

from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from portal.web.access import API, PUBLIC, rule_of
from tests.support import factories as f
from tests.support.web import SELF_SERVICE_PREFIXES, csrf_token, isolated

# Endpoints that show a secret however they are reached.
SECRET_WORDS = ("reveal", "download", "credential", "secret")
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def send(browser, url: str, method: str, data: dict):
    return isolated(lambda: browser.client.open(url, method=method, data=data))


def sample_url(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "acme"
    return rule.build(values, append_unknown=False)[1]


def routes(app):
    with app.test_request_context():
        return [
            (rule, rule_of(rule.endpoint))
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
        ]


def test_auditors_reach_no_state_change_and_no_secret(app, signed_in, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    [run] = f.onboard(f.tenant("acme", oidc_idp))
    assert f.run_now(run) == "succeeded"
    auditor = signed_in("auditor")
    token = csrf_token(auditor.get("/account").get_data(as_text=True))
    checked = []
    for rule, access in routes(app):
        if PUBLIC in access or API in access or rule.endpoint.startswith(SELF_SERVICE_PREFIXES):
            continue
        url = sample_url(rule)
        changing = rule.methods & CHANGING
        secret = any(word in rule.endpoint for word in SECRET_WORDS)
        if changing or secret:
            assert "auditor" not in access, f"{rule.endpoint} admits auditors"
            for method in sorted(changing):
                response = send(auditor, url, method, {"csrf_token": token})
                assert response.status_code == 403, (rule.endpoint, method, response.status_code)
                checked.append(rule.endpoint)
        if "GET" in rule.methods and (secret or "auditor" not in access):
            assert auditor.get(url).status_code == 403, rule.endpoint
            checked.append(rule.endpoint)
    assert {"tenants.reveal", "tenants.download_env", "tenants.retry", "wizard.start"} <= set(
        checked
    )
    assert {"admin.users", "admin.pools", "wizard.review"} <= set(checked)


def test_auditors_can_read_tenants(signed_in, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    f.tenant("acme", oidc_idp)
    auditor = signed_in("auditor")
    for url in ("/", "/tenants", "/tenants/acme", "/tenants/acme/progress", "/account"):
        assert auditor.get(url).status_code == 200, url
    nav = auditor.get("/tenants").get_data(as_text=True)
    assert "New tenant" not in nav and "User pools" not in nav


def test_staff_cannot_reach_admin_pages(signed_in):
    staff = signed_in("staff")
    assert staff.get("/admin/users").status_code == 403
    assert staff.get("/admin/pools").status_code == 403
    assert staff.get("/tenants/new").status_code == 200


def test_every_form_rejects_a_missing_or_wrong_csrf_token(app, signed_in, cognito_emulator):
    from portal.web.extensions import csrf

    admin = signed_in("admin")
    exempt_views = set(csrf._exempt_views)
    exempt_blueprints = set(csrf._exempt_blueprints)
    checked = []
    for rule, access in routes(app):
        changing = rule.methods & CHANGING
        view = app.view_functions[rule.endpoint]
        blueprint = rule.endpoint.rpartition(".")[0]
        if not changing or API in access or blueprint in exempt_blueprints:
            continue
        if f"{view.__module__}.{view.__name__}" in exempt_views:
            continue
        url = sample_url(rule)
        for method in sorted(changing):
            for data in ({}, {"csrf_token": "forged"}):
                response = send(admin, url, method, data)
                assert response.status_code == 400, (rule.endpoint, method, data)
                assert b"CSRF" in response.data
            checked.append(rule.endpoint)
    assert len(checked) >= 15
    assert admin.get("/account").status_code == 200  # still signed in, nothing changed
