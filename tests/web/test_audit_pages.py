"""The auditor pages: every history page and export for auditors, nothing that changes state."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter

from portal.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditVerification,
    CognitoCall,
    Role,
    Run,
    Tenant,
    utcnow,
)
from portal.services.audit.actors import SYSTEM, acting_as
from portal.services.audit.chain import current_head
from portal.services.audit.query import tenant_timeline
from portal.services.audit.retention import apply_retention
from portal.services.audit.verifications import STALLED_AFTER, run_verification
from portal.services.tenants.drafts import save_app_client
from portal.services.tenants.handover import reveal_credentials
from portal.services.tenants.records import create_tenant, get_tenant
from portal.web.access import API, PUBLIC, rule_of
from tests.support import factories as f
from tests.support.audit import as_superuser, bulk_chain, seed_events, swap_ids
from tests.support.settings import set_settings
from tests.support.web import SELF_SERVICE_PREFIXES, csrf_token, isolated

HISTORY_PAGES = (
    "/audit",
    "/audit?tenant=acme&action=run.succeeded",
    "/audit/chain",
    "/audit/tenants",
    "/audit/tenants/acme",
    "/audit/tenants/acme?latest=1",
    "/audit/runs/{run}",
    "/audit/events/{event}",
    "/audit/export.csv",
    "/audit/export.jsonl?tenant=acme",
)
# Routes an auditor may post to: their own session, account and API tokens, and verifying the
# chain (the same list the role test over the whole URL map uses).
AUDITOR_MAY_POST = SELF_SERVICE_PREFIXES
assert "audit.verify" in AUDITOR_MAY_POST


@pytest.fixture
def onboarded(db, cognito_emulator, oidc_idp):
    """A tenant onboarded end to end, and its client secret revealed once (by staff)."""
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    cognito_emulator.clear_calls()
    [run] = f.onboard(tenant)
    assert f.run_now(run) == "succeeded"
    with acting_as(f.TEST_ACTOR):
        secret = reveal_credentials(tenant, purpose="handover")["client_secret"]
    run = db.session.get(Run, run.id)
    return {
        "slug": tenant.slug,
        "tenant_id": tenant.id,
        "run_id": run.id,
        "steps": {s.id: s.name for s in run.steps},
        "secret": secret,
    }


def fetch(browser, url: str, **kwargs):
    """GET and read the whole body inside the request's own context (exports are streamed)."""

    def call():
        response = browser.client.get(url, **kwargs)
        response.get_data()
        return response

    return isolated(call)


def fill(url: str, onboarded) -> str:
    return url.format(run=onboarded["run_id"], event=1)


def test_auditors_and_admins_reach_every_history_page_and_export(signed_in, onboarded):
    for role in ("auditor", "admin"):
        browser = signed_in(role)
        for url in HISTORY_PAGES:
            response = fetch(browser, fill(url, onboarded))
            assert response.status_code == 200, (role, url, response.status_code)
            body = response.get_data(as_text=True)
            assert f.IDP_SECRET not in body and onboarded["secret"] not in body, (role, url)


def test_staff_cannot_read_the_audit_pages(signed_in, onboarded):
    browser = signed_in("staff")
    for url in HISTORY_PAGES:
        assert fetch(browser, fill(url, onboarded)).status_code == 403, url
    assert browser.post_form("/", {}, post_url="/audit/verify").status_code == 403


def _sample_url(rule, onboarded) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = onboarded["run_id"]
        else:
            values[name] = onboarded["slug"]
    return rule.build(values, append_unknown=False)[1]


def test_an_auditor_can_change_nothing_and_sees_no_secret_anywhere(app, signed_in, onboarded):
    browser = signed_in("auditor")
    with app.test_request_context():
        rules = [
            (r, rule_of(r.endpoint)) for r in app.url_map.iter_rules() if r.endpoint != "static"
        ]
    for rule, access in rules:
        url = _sample_url(rule, onboarded)
        writes = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        role_based = not ({PUBLIC, API} & access)
        if writes and role_based and not rule.endpoint.startswith(AUDITOR_MAY_POST):
            assert Role.AUDITOR not in access, f"auditors may {writes} {rule.endpoint}"
            # A fresh token each time: some pages read on the way may renew the session's.
            data = {"csrf_token": csrf_token(browser.get("/audit").get_data(as_text=True))}
            method = sorted(writes)[0]
            response = isolated(
                lambda m=method, u=url, d=data: browser.client.open(u, method=m, data=d)
            )
            assert response.status_code == 403, (rule.endpoint, response.status_code)
        if "GET" in rule.methods and Role.AUDITOR in access:
            assert not any(w in rule.endpoint for w in ("reveal", "credential", "secret")), (
                f"auditors may open {rule.endpoint}"
            )
            body = fetch(browser, url).get_data(as_text=True)
            assert f.IDP_SECRET not in body, rule.endpoint
            assert onboarded["secret"] not in body, rule.endpoint


def test_the_timeline_holds_the_calls_the_engine_made_with_request_ids(
    signed_in, onboarded, cognito_emulator, db
):
    made = [(c.operation, c.request_id) for c in cognito_emulator.calls()]
    assert [op for op, _ in made][:4] == [
        "AddCustomAttributes",
        "CreateIdentityProvider",
        "CreateUserPoolClient",
        "CreateManagedLoginBranding",
    ]
    timeline = tenant_timeline(db.session.get(Tenant, onboarded["tenant_id"]))
    shown = [(i.obj.operation, i.obj.aws_request_id) for i in timeline.items if i.kind == "call"]
    assert shown == made  # the run's five calls, then the reveal's DescribeUserPoolClient
    assert all(request_id for _, request_id in shown)

    browser = signed_in("auditor")
    page = browser.get("/audit/tenants/acme").get_data(as_text=True).replace("<wbr>", "")
    for operation, request_id in made:
        assert request_id in page and operation in page
    assert "run.succeeded" in page and "secret.revealed" in page
    # On the run's page each call sits under the step that made it.
    run_page = browser.get(f"/audit/runs/{onboarded['run_id']}").get_data(as_text=True)
    calls = db.session.scalars(
        select(CognitoCall).where(CognitoCall.run_id == onboarded["run_id"])
    ).all()
    sections = re.split(r'<h3 id="step-\d+">', run_page)[1:]
    by_step = {section.split()[0]: section for section in sections}
    for call in calls:
        assert call.aws_request_id in by_step[onboarded["steps"][call.step_id]], call.operation


def test_verify_now_shows_an_intact_chain_then_the_tampered_event(signed_in, db):
    seed_events(db, 6)
    browser = signed_in("auditor")
    page = browser.get("/audit").get_data(as_text=True)
    assert "has not been verified yet" in page

    def verify_now() -> str:
        response = browser.post_form("/audit", {}, post_url="/audit/verify")
        assert response.status_code == 302
        pending = browser.get("/audit/chain").get_data(as_text=True)
        assert "data-poll=" in pending and "Verification queued" in pending
        queued = db.session.scalars(
            select(AuditVerification).order_by(AuditVerification.id.desc())
        ).first()
        with acting_as(SYSTEM):  # what the worker's task does with the id it was sent
            run_verification(queued.id)
        done = browser.get("/audit/chain").get_data(as_text=True)
        assert "data-poll-done" in done
        return browser.get("/audit").get_data(as_text=True)

    assert "Verified intact" in verify_now()
    requested = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.verification_requested")
    ).first()
    assert requested.actor_label == "auditor@example.com" and requested.source_ip

    as_superuser(db, "UPDATE audit_events SET actor_label = 'nobody' WHERE id = 3")
    page = verify_now()
    assert "Chain broken at event" in page and 'href="/audit/events/3"' in page
    assert "changed after it was written" in page

    swap_ids(db, 5, 6)
    as_superuser(db, "UPDATE audit_events SET actor_label = :l WHERE id = 3", l=f.TEST_ACTOR.label)
    page = verify_now()
    assert "Chain broken at event" in page and "reordered" in page


def test_the_chain_card_shows_the_head_the_checkpoint_the_last_result_and_the_pending_one(
    signed_in, db, app, monkeypatch
):
    """Read together in one query: each fact on the card, and none mixed up with another."""
    set_settings(monkeypatch, app, audit_retention_days=30)
    seed_events(db, 5, "old.event")
    cut = utcnow()
    seed_events(db, 3, "recent.event")
    apply_retention(now=cut + timedelta(days=30))
    browser = signed_in("auditor")
    browser.post_form("/audit", {}, post_url="/audit/verify")
    first = db.session.scalars(select(AuditVerification)).one()
    with acting_as(SYSTEM):
        run_verification(first.id)
    browser.post_form("/audit", {}, post_url="/audit/verify")  # a second one, still queued

    page = browser.get("/audit").get_data(as_text=True)

    head = current_head()
    assert f"<code>{head.hash}</code> at event {head.event_id}" in page
    assert f"Events appended</dt><dd>{head.events:,}</dd>" in page
    checkpoint = db.session.scalars(select(AuditCheckpoint)).one()
    assert checkpoint.removed_total >= 5  # the old events, and the accounts' own before them
    assert f"events up to {checkpoint.last_removed_id} " in page
    assert f"{checkpoint.removed_total:,} in all" in page
    assert "Verified intact" in page and "Verification queued" in page
    assert "data-poll=" in page  # the card follows the queued one


def test_a_verification_that_lost_its_worker_an_hour_ago_no_longer_holds_the_card(signed_in, db):
    """A verification still "running" after STALLED_AFTER lost its worker: the card stops
    following it and offers Verify now again; one asked for within the hour is followed."""
    browser = signed_in("auditor")
    browser.post_form("/audit", {}, post_url="/audit/verify")
    lost = db.session.scalars(select(AuditVerification)).one()
    lost_id = lost.id
    lost.status, lost.requested_at = "running", utcnow() - STALLED_AFTER - timedelta(minutes=1)
    db.session.commit()
    card = browser.get("/audit/chain").get_data(as_text=True)
    assert "data-poll-done" in card and "Verification running" not in card
    assert re.search(r'<button type="submit" class="button">Verify now</button>', card)

    lost = db.session.get(AuditVerification, lost_id)  # the request ended the test's session
    lost.requested_at = utcnow() - STALLED_AFTER + timedelta(minutes=1)
    db.session.commit()
    card = browser.get("/audit/chain").get_data(as_text=True)
    assert "data-poll=" in card and "Verification running" in card


def test_a_removed_event_is_shown_on_the_page(signed_in, db):
    seed_events(db, 5)
    as_superuser(db, "DELETE FROM audit_events WHERE id = 2")
    with acting_as(SYSTEM):
        run_verification()
    page = signed_in("auditor").get("/audit").get_data(as_text=True)
    assert "Chain broken at event" in page and "removed" in page


def test_keyset_pages_walk_the_whole_log(signed_in, db):
    bulk_chain(db, 120)
    browser = signed_in("auditor")  # signing in adds an event: 121 in all
    seen: list[int] = []
    url = "/audit?actor_type=system"
    while url:
        page = browser.get(url).get_data(as_text=True)
        seen += [int(x) for x in re.findall(r'aria-label="Event (\d+)"', page)]
        older = re.search(r'rel="next" href="([^"]+)"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
    system = db.session.scalars(
        select(AuditEvent.id).where(AuditEvent.actor_type == "system").order_by(AuditEvent.id)
    ).all()
    assert len(system) == 120 and seen == list(reversed(system))
    second = browser.get(f"/audit?actor_type=system&before={seen[49]}").get_data(as_text=True)
    assert re.findall(r'aria-label="Event (\d+)"', second)[0] == str(seen[50])
    newer = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    back = browser.get(newer).get_data(as_text=True)
    assert re.findall(r'aria-label="Event (\d+)"', back) == [str(i) for i in seen[:50]]


def test_filter_errors_are_shown_next_to_the_field_and_keep_what_was_typed(signed_in, db):
    browser = signed_in("auditor")
    page = browser.get("/audit?tenant=nope&actor=bob&since=2026-02-01&until=2026-01-01")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "slug or name contains “nope”." in body
    assert "The end date is before the start date." in body
    assert 'value="bob"' in body and 'value="2026-02-01"' in body
    assert "Correct the filter above" in body
    export = fetch(browser, "/audit/export.csv?tenant=nope")
    assert export.status_code == 302 and "tenant=nope" in export.headers["Location"]


def test_the_filter_fields_show_each_requests_values_and_errors_when_a_filter_comes_again(
    signed_in, db
):
    """The fields' HTML is kept between pages: never past a change in what was typed or in the
    errors the same text now gets (a tenant it did not match is created)."""
    browser = signed_in("auditor")

    def tenant_field(path: str) -> tuple[str, str | None]:
        """The tenant field's value and its error, if any."""
        body = browser.get(path).get_data(as_text=True)
        value = re.search(r'<input[^>]*id="tenant"[^>]*value="([^"]*)"', body)
        error = re.search(r'<p class="field__error" id="tenant-error">([^<]*)</p>', body)
        return (value.group(1) if value else ""), (error.group(1) if error else None)

    no_match = "No tenant&#39;s slug or name contains “{}”."
    assert tenant_field("/audit?tenant=nova") == ("nova", no_match.format("nova"))
    assert tenant_field("/audit?tenant=orbit") == ("orbit", no_match.format("orbit"))
    assert tenant_field("/audit") == ("", None)
    assert tenant_field("/audit?tenant=nova") == ("nova", no_match.format("nova"))
    with acting_as(f.TEST_ACTOR):
        create_tenant("nova", "Nova", ["https://app.example.com/cb"])
    assert tenant_field("/audit?tenant=nova") == ("nova", None)
    assert tenant_field("/audit?tenant=nova&before=5") == ("nova", None)


def test_exporting_from_the_page_is_audited(signed_in, onboarded, db):
    browser = signed_in("auditor")
    response = fetch(browser, "/audit/export.jsonl?tenant=acme")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    header = json.loads(lines[0])["audit_export"]
    assert header["filter"] == {"tenant": "acme"}
    assert response.headers["X-Audit-Chain-Head"].startswith(header["chain_head"]["hash"])
    exported = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.exported")
    ).one()
    assert exported.actor_label == "auditor@example.com" and exported.user_agent.startswith(
        "Werkzeug/"
    )
    assert exported.source_ip == "127.0.0.1" and exported.request_id
    assert exported.tenant_id == onboarded["tenant_id"]
    actions = [json.loads(line)["action"] for line in lines[1:]]
    assert actions[0] == "tenant.created" and actions[-1] == "audit.exported"


def test_the_filter_offers_choices_matches_parts_and_shows_removable_chips(signed_in, db):
    with acting_as(f.TEST_ACTOR):
        eu = create_tenant("globex-eu", "Globex Europe", ["https://app.example.com/cb"])
        create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    seed_events(db, 2, "client_secret.kept", tenant=eu)
    seed_events(db, 1, "secret.revealed", tenant=eu)
    browser = signed_in("auditor")

    page = browser.get("/audit").get_data(as_text=True)
    # Pick-lists: actions grouped by family, each family selectable whole; kinds of actor.
    assert '<optgroup label="client_secret.*">' in page
    assert '<option value="client_secret.">Every client_secret.* action</option>' in page
    assert '<option value="secret.revealed">secret.revealed</option>' in page
    assert '<option value="api_token">API token</option>' in page
    assert "Filtered by" not in page

    url = "/audit?tenant=GLOBEX&action=client_secret.&actor=test"
    page = browser.get(url).get_data(as_text=True)
    shown = re.findall(r'<code class="action">([^<]+)</code>', page.replace("<wbr>", ""))
    assert shown == ["client_secret.kept"] * 2
    chips = dict(
        re.findall(
            r'class="chip chip--removable" href="([^"]+)" aria-label="Remove the filter: ([^"]+)"',
            page,
        )
    )
    assert set(chips.values()) == {
        "Tenant contains “GLOBEX”",
        "Action: every client_secret.* action",
        "Actor contains “test”",
    }
    without_action = {v: k for k, v in chips.items()}["Action: every client_secret.* action"]
    assert without_action.replace("&amp;", "&") == "/audit?tenant=GLOBEX&actor=test"
    wider = browser.get(without_action.replace("&amp;", "&")).get_data(as_text=True)
    shown = re.findall(r'<code class="action">([^<]+)</code>', wider.replace("<wbr>", ""))
    assert shown[:3] == ["secret.revealed", "client_secret.kept", "client_secret.kept"]
    # Pages and exports keep the filter.
    assert 'href="/audit/export.csv?tenant=GLOBEX&amp;actor=test"' in wider

    # A word typed elsewhere (CLI, API, a link) is kept in the select as what it is.
    page = browser.get("/audit?action=secret").get_data(as_text=True)
    assert '<option selected value="secret">Containing “secret”</option>' in page
    assert "Action contains “secret”" in page
    # The pick-list's HTML is kept between pages: each page still selects its own action.
    family = browser.get("/audit?action=client_secret.").get_data(as_text=True)
    assert '<option selected value="client_secret.">' in family
    assert "Containing “secret”" not in family
    plain = browser.get("/audit").get_data(as_text=True)
    action_select = re.search(r'<select[^>]*name="action".*?</select>', plain, re.S).group(0)
    assert re.findall(r"<option selected[^>]*>", action_select) == ['<option selected value="">']
    assert set(re.findall(r'<code class="action">([^<]+)</code>', page.replace("<wbr>", ""))) == {
        "client_secret.kept",
        "secret.revealed",
    }


def test_the_tenant_suggestions_and_row_links_follow_the_filter_and_new_tenants(signed_in, db):
    """The suggestions are kept between pages, never past a new tenant; each row's links narrow
    the current filter by one more field (or replace that field)."""
    with acting_as(f.TEST_ACTOR):
        eu = create_tenant("globex-eu", "Globex Europe", ["https://app.example.com/cb"])
    seed_events(db, 1, "secret.revealed", tenant=eu)
    browser = signed_in("auditor")

    def suggested(page: str) -> list[str]:
        datalist = re.search(r'<datalist id="audit-tenants">(.*?)</datalist>', page, re.S)
        return re.findall(r'<option value="([^"]+)">', datalist.group(1))

    page = browser.get("/audit?tenant=globex&actor=test").get_data(as_text=True)
    assert suggested(page) == ["globex-eu"]
    links = {link.replace("&amp;", "&") for link in re.findall(r'href="(/audit\?[^"]+)"', page)}
    assert "/audit?tenant=globex&actor=test&action=secret.revealed" in links
    assert "/audit?tenant=globex&actor=" + quote_plus(f.TEST_ACTOR.label) in links

    with acting_as(f.TEST_ACTOR):
        create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    assert suggested(browser.get("/audit").get_data(as_text=True)) == ["acme", "globex-eu"]


def test_a_kept_row_shows_the_pages_filter_the_tenants_new_slug_and_an_edited_event(signed_in, db):
    """Each row's HTML is kept between pages: its links still narrow the page's own filter, and
    it never outlives a draft tenant's new slug or a change made to the event in the database."""
    with acting_as(f.TEST_ACTOR):
        draft = create_tenant("nova", "Nova", ["https://app.example.com/cb"])
    [event_id] = seed_events(db, 1, "secret.revealed", tenant=draft)
    browser = signed_in("auditor")

    def row(path: str) -> str:
        page = browser.get(path).get_data(as_text=True)
        found = re.search(rf'<tr>\s*<td><a href="/audit/events/{event_id}".*?</tr>', page, re.S)
        assert found, page
        return found.group(0).replace("&amp;", "&")

    assert 'href="/audit?action=secret.revealed"' in row("/audit")
    by_action = row("/audit?action=secret.")
    assert 'href="/audit?actor=' + quote_plus(f.TEST_ACTOR.label) + '"' not in by_action
    assert 'href="/audit?action=secret.&actor=' + quote_plus(f.TEST_ACTOR.label) + '"' in by_action
    assert 'href="/audit/tenants/nova">nova<' in row("/audit")

    with acting_as(f.TEST_ACTOR):
        save_app_client(get_tenant("nova"), "Nova", "nova-eu", ["https://app.example.com/cb"], [])
    assert 'href="/audit/tenants/nova-eu">nova-eu<' in row("/audit")

    as_superuser(db, "UPDATE audit_events SET actor_label = 'intruder' WHERE id = :i", i=event_id)
    assert ">intruder</a>" in row("/audit")
