"""Staff change a live tenant's identity provider in the browser: pre-flight, then plan → apply."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import AuditEvent, RunStatus, Tenant
from tests.support import factories as f
from tests.support.factories import ready_tenant, run_latest

PAGE = "/tenants/acme/identity-provider"


def form(oidc_idp: str, **changes: str) -> dict[str, str]:
    return {
        "issuer": oidc_idp,
        "client_id": "acme-idp-client",
        "client_secret": "",
        "scopes": "openid email",
        "groups_claim": "app_groups",
        "roles_claim": "",
        "attributes_request_method": "GET",
        **changes,
    }


def test_a_new_client_id_and_secret_are_checked_planned_and_applied(
    signed_in, db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    tenant_id, pool_id = tenant.id, tenant.pool.user_pool_id
    staff = signed_in("staff")
    assert 'href="/tenants/acme/identity-provider"' in staff.get("/tenants/acme").get_data(True)
    shown = staff.get(PAGE).get_data(as_text=True)
    assert oidc_idp in shown and "acme-idp-client" in shown

    refused = staff.post_form(PAGE, form(oidc_idp, issuer=oidc_idp + "/nowhere"))
    assert refused.status_code == 422 and "Nothing was saved" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id).issuer == oidc_idp

    saved = staff.post_form(
        PAGE, form(oidc_idp, client_id="acme-new-app", client_secret="n3w-S3cret")
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/tenants/acme/plan")
    plan = staff.get("/tenants/acme/plan").get_data(as_text=True)
    assert "ProviderDetails.client_id" in plan and "acme-new-app" in plan
    assert "n3w-S3cret" not in plan
    db.session.expire_all()
    changed = db.session.get(Tenant, tenant_id)
    assert changed.pending_changes_since is not None and changed.idp_client_id == "acme-new-app"

    staff.post_form("/tenants/acme/plan", {}, post_url="/tenants/acme/apply")
    assert run_latest(db, changed) == RunStatus.SUCCEEDED
    assert "<h1>Applying changes to Acme</h1>" in staff.get("/tenants/acme/progress").get_data(True)
    live = f.cognito_client().describe_identity_provider(UserPoolId=pool_id, ProviderName="acme")
    assert live["IdentityProvider"]["ProviderDetails"]["client_id"] == "acme-new-app"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id)
    ).all()
    assert "tenant.idp_set" in actions


def test_auditors_cannot_open_it_and_drafts_are_sent_to_the_wizard(
    signed_in, db, cognito_emulator, oidc_idp
):
    ready_tenant(cognito_emulator, oidc_idp)
    assert signed_in("auditor").get(PAGE).status_code == 403
    f.tenant("draft-co", oidc_idp)
    staff = signed_in("staff")
    answer = staff.post_form("/tenants/draft-co/identity-provider", form(oidc_idp), post_url=None)
    assert answer.status_code == 422
    assert "once it is ready or failed" in answer.get_data(as_text=True)
