"""The Celery side of the portal: an app bound to Flask, thin tasks, a beat schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from portal.config import settings_of

if TYPE_CHECKING:
    from celery import Celery

FILE_BROKER_POLL_SECONDS = 0.05
KEEPS_STATE = "portal.keeps_state"  # set by create_app: whether this app provisions local state
TASK_MODULES = (
    "portal.workers.tasks",
    "portal.workers.audit_tasks",
    "portal.workers.webhook_tasks",
    "portal.workers.domain_tasks",
)
BEAT_SCHEDULE = {
    "sweep-stale-runs": {"task": "portal.sweep_stale_runs", "schedule": 30.0},
    "drift-sweep": {"task": "portal.drift_sweep", "schedule": 300.0},
    "idp-secret-reminders": {"task": "portal.remind_expiring_secrets", "schedule": 3600.0},
    # Hourly: each run re-reads only metadata checked more than a day ago (daily per tenant).
    "saml-certificates": {"task": "portal.saml_certificates", "schedule": 3600.0},
    "sweep-webhooks": {"task": "portal.webhook_sweep", "schedule": 30.0},
    "purge-idempotency-keys": {"task": "portal.api_purge_idempotency_keys", "schedule": 3600.0},
    # The audit chain's head in the logs every 5 minutes: removing the newest events shows.
    "publish-audit-head": {"task": "portal.publish_audit_head", "schedule": 300.0},
    "verify-audit-chain": {"task": "portal.verify_audit_chain", "schedule": 86400.0},
    "apply-audit-retention": {"task": "portal.apply_audit_retention", "schedule": 3600.0},
    "purge-old-sessions": {"task": "portal.purge_old_sessions", "schedule": 3600.0},
    # Each unverified claim is looked at every PORTAL_DNS_CHECK_MINUTES; the tick finds the due.
    "check-domain-claims": {"task": "portal.check_domain_claims", "schedule": 60.0},
}


def celery_of(app: Flask) -> Celery:
    """The app's Celery app, made on first use: a command that sends no task never builds it."""
    # The tasks keep the app itself, never the current_app proxy (worker threads have no context).
    app = getattr(app, "_get_current_object", lambda: app)()
    celery_app = app.extensions.get("celery")
    if celery_app is None:
        celery_app = celery_init_app(app, make_folders=app.extensions[KEEPS_STATE])
    return celery_app


def celery_init_app(app: Flask, make_folders: bool = True) -> Celery:
    """Create the Celery app whose tasks run inside the Flask app context (Flask's pattern).

    MAKE_FOLDERS: create the file broker's folders (not for commands that keep no state).
    """
    from celery import Celery, Task

    from portal.observability.context import task_context

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            # task_context restores the request id carried in the message headers
            with app.app_context(), task_context(self.request):
                return self.run(*args, **kwargs)

    broker = settings_of(app).broker_url
    # The task modules are imported by worker and beat processes (include=), not by every
    # process that only sends a task by name.
    celery_app = Celery(app.name, task_cls=FlaskTask, include=TASK_MODULES)
    broker_url, transport_options = broker_transport(broker, make_folders)
    celery_app.config_from_object(
        {
            "broker_url": broker_url,
            "task_ignore_result": True,
            "result_backend": None,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_serializer": "json",
            "accept_content": ["json"],
            "broker_connection_retry_on_startup": True,
            "broker_transport_options": transport_options,
            "beat_schedule": BEAT_SCHEDULE,
            "worker_hijack_root_logger": False,
        }
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    _warm_clients_on_start(celery_app, app)
    return celery_app


def broker_transport(broker: str, make_folders: bool) -> tuple[str, dict[str, object]]:
    """The kombu URL and transport options of BROKER (the setting), for Celery and the producer."""
    url = "filesystem://localhost/" if broker.startswith("filesystem://") else broker
    return url, _transport_options(broker, make_folders)


def _transport_options(broker: str, make_folders: bool) -> dict[str, object]:
    if broker.startswith("filesystem://"):
        folder = broker.removeprefix("filesystem://")
        import os

        for sub in ("out", "processed", "control"):
            if make_folders:
                os.makedirs(os.path.join(folder, sub), exist_ok=True)
        return {
            "data_folder_in": os.path.join(folder, "out"),
            "data_folder_out": os.path.join(folder, "out"),
            "processed_folder": os.path.join(folder, "processed"),
            "control_folder": os.path.join(folder, "control"),  # default: ./control in the cwd
            "store_processed": False,
            # kombu looks for new messages once a second by default: a run waited 0.5 s on
            # average before a worker saw it. A listing of a small local folder is cheap.
            "polling_interval": FILE_BROKER_POLL_SECONDS,
        }
    if broker.startswith(("redis://", "rediss://")):
        # The database, not the broker, is the source of truth; the sweep re-sends stale runs.
        return {"visibility_timeout": 3600}
    return {}


def _warm_clients_on_start(celery_app: Celery, app: Flask) -> None:
    """Build the boto3 clients and compile the queries a worker's first task needs, before it."""
    from celery.signals import worker_ready

    @worker_ready.connect(weak=False)
    def warm(**_kwargs: object) -> None:
        from sqlalchemy import select

        from portal.cognito.gateway import make_client
        from portal.extensions import db
        from portal.models import UserPool
        from portal.observability import metrics
        from portal.services.engine.execution import warm_up

        metrics.warm_up()
        with app.app_context():
            try:
                regions = set(db.session.scalars(select(UserPool.region)))
                warm_up()  # the first run's reads compiled now, not after its claim
            except Exception:
                return
            finally:
                db.session.remove()
        for region in regions:
            make_client(region)
