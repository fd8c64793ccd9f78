"""Property-based fuzzing of the staff forms: no server error, no partial write, a message."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.models import AuditEvent, Tenant
from tests.support.web import Browser, csrf_token

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=120
)
multiline = st.lists(text, max_size=4).map("\n".join)


@pytest.fixture
def staff(signed_in):
    return signed_in("staff")


def totals(db) -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(select(func.count()).select_from(Tenant)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


@FUZZ
@given(name=text, slug=text, callbacks=multiline, logouts=multiline)
def test_wizard_first_step_never_errors_and_writes_only_valid_tenants(
    staff, db, name, slug, callbacks, logouts
):
    before = totals(db)
    response = staff.post_form(
        "/tenants/new",
        {"name": name, "slug": slug, "callback_urls": callbacks, "logout_urls": logouts},
    )
    assert response.status_code < 500
    after = totals(db)
    if response.status_code == 302:  # accepted: a draft tenant exists with valid settings
        assert after[0] == before[0] + 1
    else:
        assert after[0] == before[0]
        body = response.get_data(as_text=True)
        assert "field__error" in body or "flash--error" in body  # a message next to a field


@FUZZ
@given(email=text, password=text)
def test_sign_in_never_errors(app, db, email, password):
    browser = Browser(app.test_client())
    page = browser.get("/login")
    response = browser.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": email,
            "password": password,
        },
    )
    assert response.status_code in (200, 401, 429)


@FUZZ
@given(query=text, status=text, sort=text, page=text)
def test_tenants_list_accepts_any_query_string(staff, query, status, sort, page):
    response = staff.get(
        "/tenants", query_string={"q": query, "status": status, "sort": sort, "page": page}
    )
    assert response.status_code in (200, 400)
