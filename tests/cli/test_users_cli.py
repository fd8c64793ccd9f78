"""`portal users set-role` and `portal users sign-out` end the user's browser sessions."""

from __future__ import annotations

import json

from sqlalchemy import select

from portal.models import AuditEvent


def test_sign_out_ends_every_session_of_the_user(cli, signed_in, db):
    laptop, phone, admin = signed_in("staff"), signed_in("staff"), signed_in("admin")
    result = cli("users", "sign-out", "staff@example.com", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"email": "staff@example.com", "sessions_ended": 2}
    assert laptop.get("/tenants").status_code == 302
    assert phone.get("/tenants").status_code == 302
    assert admin.get("/tenants").status_code == 200
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.sessions_ended")
    ).one()
    assert event.actor_type == "cli"
    unknown = cli("users", "sign-out", "nobody@example.com")
    assert unknown.exit_code == 2 and "no portal user" in unknown.stderr


def test_set_role_changes_the_role_and_ends_the_sessions(cli, signed_in, db):
    staff = signed_in("staff")
    result = cli("users", "set-role", "staff@example.com", "--role", "auditor")
    assert result.exit_code == 0, result.stderr
    assert "is now auditor" in result.stderr + result.stdout
    assert staff.get("/tenants").status_code == 302
    again = cli("users", "set-role", "staff@example.com", "--role", "auditor", "--json")
    assert json.loads(again.stdout)["changed"] is False
