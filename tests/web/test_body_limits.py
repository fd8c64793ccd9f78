"""Request bodies are limited before anything reads them, CSRF protection included."""

from __future__ import annotations

from portal.web.limits import FORM_MAX_BYTES


def test_a_huge_form_body_is_refused_with_413_before_it_is_parsed(db, signed_in):
    staff = signed_in("staff")
    response = staff.post(
        "/tenants/new",
        data={"name": "x" * (FORM_MAX_BYTES + 1)},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "larger than the portal accepts" in response.get_data(as_text=True)
    anonymous = staff.client.application.test_client()
    assert anonymous.post("/login", data={"email": "e" * (FORM_MAX_BYTES + 1)}).status_code == 413
