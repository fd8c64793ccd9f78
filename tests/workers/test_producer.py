"""Processes that only send (the CLI, the web) send run ids without Celery, in Celery's format."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from portal.workers import celery_of
from portal.workers.producer import producer_of
from tests.support import factories as f
from tests.support.cli import run_python
from tests.support.workers import file_broker_app

# What differs between two sends of the same task by nature: ids, the sending process, the reply
# queue of a Celery app that keeps no results.
PER_SEND = {"id", "root_id", "origin", "correlation_id", "reply_to", "delivery_tag"}


def sent_messages(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((folder / "out").glob("*.msg"))]


def comparable(message: dict) -> dict:
    properties = {k: v for k, v in message["properties"].items() if k not in PER_SEND}
    headers = {k: v for k, v in message["headers"].items() if k not in PER_SEND}
    body = json.loads(base64.b64decode(message["body"]))
    return {**message, "body": body, "headers": headers, "properties": properties}


def test_the_producer_sends_what_celery_sends(tmp_path):
    app = file_broker_app(tmp_path)
    headers = {"portal_request_id": "req-1234"}
    producer_of(app).send("portal.run", [42], headers)
    [ours] = sent_messages(tmp_path / "broker")
    celery_of(app).send_task("portal.run", args=[42], headers=headers)
    celerys = next(m for m in sent_messages(tmp_path / "broker") if m != ours)

    assert comparable(ours) == comparable(celerys)
    assert (
        ours["headers"]["id"] == ours["headers"]["root_id"] == ours["properties"]["correlation_id"]
    )
    assert comparable(ours)["body"][0] == [42]
    assert ours["headers"]["portal_request_id"] == "req-1234"


IMPORTS_AT_EXIT = """
import atexit, runpy, sys
atexit.register(lambda: print(
    "\\nMODULES " + " ".join(sorted(m for m in sys.modules if m.split(".")[0] in HEAVY
        or m == "portal.workers.tasks")), file=sys.stderr))
HEAVY = ("celery", "botocore", "boto3")  # the workers' libraries: not for sending a run id
sys.argv = ["portal", *sys.argv[1:]]
runpy.run_module("portal", run_name="__main__")
"""


@pytest.mark.slow
def test_the_cli_queues_a_run_without_importing_celery_or_boto(
    db, cognito_emulator, oidc_idp, redis_client
):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    onboard = run_python(IMPORTS_AT_EXIT, "tenants", "onboard", "acme", "--json")
    assert onboard.returncode == 0, onboard.stderr
    [queued] = json.loads(onboard.stdout)
    modules = onboard.stderr.rsplit("MODULES", 1)[1].split()
    assert modules == [], f"the CLI imported {modules}"
    # The message waits in the broker's queue for a worker, in Celery's protocol 2.
    [raw] = redis_client.lrange("celery", 0, -1)
    message = json.loads(raw)
    args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert message["headers"]["task"] == "portal.run"
    assert (args, kwargs) == ([queued["run_id"]], {})
    assert f.fresh(db, tenant).status == "queued"
