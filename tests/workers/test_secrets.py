"""No secret in logs, task messages, Redis or the database in plain text."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from portal.models import Tenant, TenantStatus
from portal.services.audit.actors import acting_as
from portal.services.tenants.handover import reveal_credentials
from tests.support import factories as f
from tests.support.leakscan import database_text, redis_text
from tests.support.workers import wait_until

pytestmark = [pytest.mark.slow]


def test_secrets_stay_out_of_messages_logs_redis_and_the_database(
    db, cognito_emulator, oidc_idp, start_worker, redis_client, caplog
):
    caplog.set_level(logging.DEBUG)
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    stored = db.session.get(Tenant, tenant.id).idp_client_secret_encrypted
    assert stored is not None and f.IDP_SECRET.encode() not in stored

    f.onboard(tenant)
    [message] = redis_client.lrange("celery", 0, -1)
    envelope = json.loads(message)
    body = json.loads(base64.b64decode(envelope["body"]))
    assert len(body[0]) == 1 and isinstance(body[0][0], int)  # the run id, nothing else
    assert body[1] == {}
    assert f.IDP_SECRET not in message.decode("latin-1")

    worker = start_worker()
    assert wait_until(
        lambda: (
            (db.session.expire_all() or db.session.get(Tenant, tenant.id).status)
            == TenantStatus.READY
        ),
        180,  # generous: CI machines are slow; this test is about secrets, not speed
    )
    portal_logs = caplog.text
    with acting_as(f.TEST_ACTOR):  # the audited reveal, made in this process at DEBUG level
        revealed = reveal_credentials(db.session.get(Tenant, tenant.id))["client_secret"]
    portal_logs += caplog.text
    tenant = db.session.get(Tenant, tenant.id)
    client_secret = f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]["ClientSecret"]

    assert revealed == client_secret
    for secret in (f.IDP_SECRET, client_secret):
        assert secret not in worker.log
        assert secret not in portal_logs
        assert secret not in redis_text(redis_client)
        assert secret not in database_text(db)
