"""Fault trials shared by the reliability tests and bench/faults.py.

A trial onboards tenants with a worker process, SIGKILLs the worker at a random moment (between
steps or in the middle of a Cognito call; the emulator says which calls were in flight), lets a
fresh worker and the stale-run sweep pick the work up, and checks that every tenant ends ready with
exactly one client, provider and style, that nothing in the emulator is orphaned, and that no
run is left stuck.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Run, RunStatus, Tenant, TenantStatus, utcnow
from portal.services.engine.queue import sweep_stale_runs


@dataclass
class TrialResult:
    number: int
    killed_after: float
    calls_before_kill: int
    in_flight: list[str]  # the Cognito operations the victim was waiting on when it died
    finished_before_kill: bool  # every tenant was ready already: the kill hit an idle worker
    ready: bool
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.ready and not self.problems


def cognito_inventory(cognito, pool_id: str) -> dict[str, list]:
    """Every client, provider and style the emulator holds in the pool."""
    clients = []
    token = None
    while True:
        kwargs = {"UserPoolId": pool_id, "MaxResults": 60}
        if token:
            kwargs["NextToken"] = token
        page = cognito.list_user_pool_clients(**kwargs)
        clients += page["UserPoolClients"]
        token = page.get("NextToken")
        if not token:
            break
    providers = cognito.list_identity_providers(UserPoolId=pool_id, MaxResults=60)["Providers"]
    styles = []
    for client in clients:
        try:
            styles.append(
                cognito.describe_managed_login_branding_by_client(
                    UserPoolId=pool_id, ClientId=client["ClientId"]
                )["ManagedLoginBranding"]
            )
        except cognito.exceptions.ResourceNotFoundException:
            continue
    return {"clients": clients, "providers": providers, "styles": styles}


def orphans_and_duplicates(cognito, pool_id: str) -> list[str]:
    """Anything in the pool that no tenant owns, and any tenant owning more or less than one."""
    inventory = cognito_inventory(cognito, pool_id)
    tenants = db.session.scalars(select(Tenant).where(Tenant.status != TenantStatus.OFFBOARDED))
    owned = {t.client_id: t for t in tenants if t.pool and t.pool.user_pool_id == pool_id}
    problems = []
    for client in inventory["clients"]:
        if client["ClientId"] not in owned:
            problems.append(f"orphaned client {client['ClientName']}")
    names = [p["ProviderName"] for p in inventory["providers"]]
    for tenant in owned.values():
        if names.count(tenant.provider_name) != 1:
            problems.append(f"{tenant.slug}: {names.count(tenant.provider_name)} providers")
    owned_providers = {t.provider_name for t in owned.values()}
    problems += [f"orphaned provider {n}" for n in names if n not in owned_providers]
    for style in inventory["styles"]:
        tenant = owned.get(style["ClientId"]) if "ClientId" in style else None
        if tenant is not None and tenant.branding_id != style["ManagedLoginBrandingId"]:
            problems.append(f"{tenant.slug}: unexpected style {style['ManagedLoginBrandingId']}")
    if len(inventory["styles"]) != len(owned):
        problems.append(f"{len(inventory['styles'])} styles for {len(owned)} tenants")
    return problems


def age_queued_runs() -> None:
    """Pretend the stale-run threshold has passed for every queued run (instead of waiting)."""
    db.session.execute(
        update(Run)
        .where(Run.status == RunStatus.QUEUED)
        .values(enqueued_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()


def _all_ready(tenant_ids: list[int]) -> bool:
    db.session.expire_all()
    statuses = db.session.scalars(select(Tenant.status).where(Tenant.id.in_(tenant_ids)))
    return all(s == TenantStatus.READY for s in statuses)


def wait_ready(tenant_ids: list[int], timeout: float, sweep: bool = True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _all_ready(tenant_ids):
            return True
        if sweep:
            age_queued_runs()
            sweep_stale_runs()
        time.sleep(1.0)
    return False


def kill_trial(
    number: int,
    tenant_ids: list[int],
    start_worker: Callable,
    count_calls: Callable,
    in_flight: Callable[[], list[str]],
    rng: random.Random,
    pool_id: str,
    cognito,
    max_delay: float = 3.0,
    timeout: float = 120.0,
) -> TrialResult:
    """One trial: a victim worker dies by SIGKILL at a random moment; a rescuer finishes."""
    victim = start_worker(f"victim{number}", PORTAL_RUN_LEASE_SECONDS="2")
    from tests.support import factories as f

    f.onboard(*[db.session.get(Tenant, i) for i in tenant_ids])
    delay = rng.uniform(0.1, max_delay)
    time.sleep(delay)
    calls = count_calls()
    waiting_on = in_flight()
    victim.kill()
    finished = _all_ready(tenant_ids)
    rescuer = start_worker(f"rescuer{number}", PORTAL_RUN_LEASE_SECONDS="2")
    try:
        ready = wait_ready(tenant_ids, timeout)
    finally:
        rescuer.stop()
    result = TrialResult(number, delay, calls, waiting_on, finished, ready)
    if not ready:
        result.problems.append("not every tenant became ready")
    stuck = db.session.scalars(
        select(Run).where(
            Run.tenant_id.in_(tenant_ids), Run.status.in_((RunStatus.QUEUED, RunStatus.RUNNING))
        )
    ).all()
    result.problems += [f"run {r.id} left {r.status}" for r in stuck]
    result.problems += orphans_and_duplicates(cognito, pool_id)
    return result
