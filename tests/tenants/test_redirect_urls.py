"""Callback and logout URLs: Cognito's rule plus nothing a shell could run, at every entry point;
the `.env` download that bash and python-dotenv read back exactly; older tenants flagged."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
from dotenv import dotenv_values
from sqlalchemy import func, select

from portal.models import AuditEvent, Tenant
from portal.services.audit.actors import acting_as
from portal.services.tenants.envfile import ENV_NAMES
from portal.services.tenants.imports import import_tenants
from portal.validation import ValidationError, check_redirect_url
from tests.support import factories as f

HOSTILE = "https://example.com/$(touch${IFS}pwned)`id`"
# Everything here is a character Cognito accepts and a shell or dotenv loader would not touch
# inside single quotes: the file must hand each of them over unchanged.
TRICKY = "https://app.example.com/cb;x=(1)&y=|z|<w>*!%24{v}~^[u]@t,s+r=/q?p=o:n"


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/callback",
        "http://localhost:3000/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:8080/cb",  # AWS lists http://[::1] beside localhost and 127.0.0.1
        "HTTP://LOCALHOST/cb",
        "myapp://callback",  # app callback URLs
        "com.example.app:/oauth2redirect",
        TRICKY,
    ],
)
def test_what_cognito_accepts_is_accepted(url):
    assert check_redirect_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://app.example.com/cb", "accepts only for localhost, 127.0.0.1 and [::1]"),
        ("http://[::2]/cb", "accepts only for localhost"),
        ("http://127.0.0.2/cb", "accepts only for localhost"),
        ("https://app.example.com/cb#top", "fragment"),
        ("myapp://callback#x", "fragment"),
        ("/callback", "not an absolute URL"),
        ("app.example.com/cb", "not an absolute URL"),
        ("https:///cb", "no host name"),
        ("https://app.example.com/a b", "whitespace"),
        ("https://app.example.com/a\u00a0b", "whitespace"),
        ("javascript:alert(1)", "never accepts"),
        ("https://" + "a" * 1020, "1 to 1024 characters"),
        ("localhost:3000/cb", "write http://localhost:3000/cb"),
        (HOSTILE, "contains $ `"),
        ("https://app.example.com/'x'", "contains '"),
        ('https://app.example.com/"x"', 'contains "'),
        ("https://app.example.com/a\\b", "contains \\"),
        ("myapp://cb/$HOME", "contains $"),
    ],
)
def test_what_cognito_or_a_shell_would_refuse_is_refused_with_the_reason(url, reason):
    with pytest.raises(ValidationError) as refused:
        check_redirect_url(url, "logout_urls")
    assert refused.value.field == "logout_urls"
    assert reason in refused.value.message


def test_the_cli_refuses_a_url_a_shell_would_run(cli):
    created = cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", HOSTILE)
    assert created.exit_code == 2 and "contains $ `" in created.stderr
    ok = cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", "myapp://cb")
    assert ok.exit_code == 0
    updated = cli("tenants", "update", "acme", "--logout-url", "https://a.example.com/`id`")
    assert updated.exit_code == 2 and "contains `" in updated.stderr


def test_the_csv_import_refuses_it_by_row(db):
    body = "name,slug,callback_urls,contact_email\nAcme,acme,http://[::1]:3000/cb|" + HOSTILE
    with acting_as(f.TEST_ACTOR):
        report = import_tenants((body + ",\n").encode())
    assert not report.ok
    [problem] = report.problems
    assert (problem.row, problem.field) == (2, "callback_urls")
    assert "contains $ `" in problem.message


def test_the_wizard_shows_the_reason_next_to_the_field_and_keeps_the_input(signed_in, db):
    staff = signed_in("staff")
    response = staff.post_form(
        "/tenants/new",
        {"name": "Acme", "slug": "acme", "callback_urls": HOSTILE, "logout_urls": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="callback_urls-error"' in page
    assert "the downloaded .env file could run or change it" in page
    assert db.session.scalar(select(func.count(Tenant.id))) == 0


def _downloads(staff, slug: str) -> tuple[str, dict]:
    page = f"/tenants/{slug}"
    env = staff.post_form(page, {}, post_url=f"{page}/credentials.env")
    assert env.status_code == 200, env.get_data(as_text=True)
    bundle = json.loads(staff.post_form(page, {}, post_url=f"{page}/credentials.json").data)
    return env.get_data(as_text=True), bundle


def _expected(bundle: dict) -> dict[str, str]:
    return {name: str(bundle.get(key) or "") for key, name in ENV_NAMES.items()}


def test_python_dotenv_reads_exactly_the_values(signed_in, db, cognito_emulator, oidc_idp):
    f.ready_tenant(cognito_emulator, oidc_idp, callback=TRICKY)
    text, bundle = _downloads(signed_in("staff"), "acme")
    assert bundle["redirect_uri"] == TRICKY
    for interpolate in (True, False):
        loaded = dotenv_values(stream=io.StringIO(text), interpolate=interpolate)
        assert dict(loaded) == _expected(bundle)


@pytest.mark.slow
def test_bash_sources_exactly_the_values(signed_in, db, cognito_emulator, oidc_idp, tmp_path):
    f.ready_tenant(cognito_emulator, oidc_idp, callback=TRICKY)
    text, bundle = _downloads(signed_in("staff"), "acme")
    env_file = tmp_path / "credentials.env"
    env_file.write_text(text)
    names = " ".join(ENV_NAMES.values())
    script = f'set -a; . "$1"; for n in {names}; do printf "%s=%s\\0" "$n" "${{!n}}"; done'
    result = subprocess.run(
        ["/bin/bash", "-c", script, "bash", str(env_file)],
        capture_output=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    sourced = dict(item.split("=", 1) for item in result.stdout.decode().split("\0") if item)
    assert sourced == _expected(bundle)
    assert list(tmp_path.iterdir()) == [env_file]  # nothing ran


def test_a_tenant_saved_before_the_rule_is_flagged_and_its_env_file_refused(
    signed_in, cli, db, cognito_emulator, oidc_idp, tmp_path
):
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    tenant.callback_urls = [HOSTILE]  # as an older portal accepted it
    db.session.commit()
    staff = signed_in("staff")
    page = staff.get("/tenants/acme").get_data(as_text=True)
    assert 'id="flagged-urls"' in page and "could run or change it" in page

    reveals = select(func.count(AuditEvent.id)).where(AuditEvent.action == "secret.revealed")
    before = db.session.scalar(reveals)
    refused = staff.post_form("/tenants/acme", {}, post_url="/tenants/acme/credentials.env")
    assert refused.status_code == 302
    shown = staff.get("/tenants/acme").get_data(as_text=True)
    assert "download the JSON file instead" in shown
    assert db.session.scalar(reveals) == before  # refused before the secret was read
    bundle = json.loads(
        staff.post_form("/tenants/acme", {}, post_url="/tenants/acme/credentials.json").data
    )
    assert bundle["redirect_uri"] == HOSTILE

    shown_json = json.loads(cli("tenants", "show", "acme", "--json").stdout)
    [flag] = shown_json["flagged_urls"]
    assert flag["field"] == "callback_urls" and flag["url"] == HOSTILE
    # Fixing the URL clears the flag and the download works again.
    assert cli("tenants", "update", "acme", "--callback-url", "myapp://cb").exit_code == 0
    assert json.loads(cli("tenants", "show", "acme", "--json").stdout)["flagged_urls"] == []
