"""`portal selftest aws`: onboard a throw-away tenant on a real account, check it, remove it.

The same code path as production: the tenant is recorded, its runs are queued and executed by
the engine (here, in this process, or by a worker that claims them first), and every Cognito
call is in the call ledger and the audit log. What AWS returns is then compared with what the
portal asked for, and the checks that only a real account can answer (the hosted pages of a
client without a style on a classic domain, the issuer's discovery document) are made over
HTTPS against AWS's own hosts.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from portal.cognito.errors import CognitoError, NotFoundError
from portal.cognito.partitions import partition_of
from portal.extensions import db
from portal.models import Run, RunStatus, Tenant, TenantStatus
from portal.services.engine import drift, lifecycle
from portal.services.engine.execution import execute_run
from portal.services.engine.gateways import gateway_for
from portal.services.engine.ledger import TenantCallRecorder
from portal.services.engine.queue import queue_onboarding
from portal.services.pools.registry import find_pool, inspect_pool
from portal.services.tenants.handover import hosted_urls
from portal.services.tenants.records import create_tenant, set_idp
from portal.validation import ValidationError

DEFAULT_ISSUER = "https://accounts.google.com"  # public, always up, sends no groups claim
CALLBACK = "https://selftest.invalid/callback"
SECOND_CALLBACK = "https://selftest.invalid/second-callback"
WORKER = "selftest"
RUN_TIMEOUT = 120.0
HTTP_TIMEOUT = 10.0
UNAVAILABLE = "Login pages unavailable"
PASS, FAIL, SKIP = "pass", "fail", "skip"


@dataclass
class Check:
    name: str
    status: str  # pass | fail | skip
    detail: str = ""


@dataclass
class SelftestReport:
    user_pool_id: str
    target: str  # aws | emulator
    endpoint: str
    slug: str | None = None
    kept: bool = False
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    def record(self, name: str, passed: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, PASS if passed else FAIL, detail))
        return passed

    def skip(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, SKIP, detail))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def is_aws_endpoint(url: str, region: str) -> bool:
    """Whether boto3's endpoint is AWS's own (not the local emulator or another stand-in)."""
    host = (urlsplit(url).hostname or "").lower()
    return urlsplit(url).scheme == "https" and host.endswith("." + partition_of(region).dns_suffix)


def run_selftest(
    user_pool_id: str,
    *,
    issuer: str = DEFAULT_ISSUER,
    keep: bool = False,
    emulator: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
) -> SelftestReport:
    """Onboard, check, change, offboard and check again; raises ValidationError on bad usage."""
    pool = find_pool(user_pool_id)
    if pool is None:
        raise ValidationError(
            "user_pool_id",
            f"user pool {user_pool_id} is not registered; run `portal pools add {user_pool_id}` "
            "first",
        )
    endpoint = gateway_for(pool.region).client.meta.endpoint_url
    on_aws = is_aws_endpoint(endpoint, pool.region)
    if not on_aws and not emulator:
        raise ValidationError(
            "emulator",
            f"boto3 points at {endpoint}, not at AWS: this looks like the local emulator. Pass "
            "--emulator to run the self-test against it anyway, or unset AWS_ENDPOINT_URL*.",
        )
    if on_aws and emulator:
        raise ValidationError("emulator", f"--emulator given, but boto3 points at AWS ({endpoint})")
    report = SelftestReport(user_pool_id, "aws" if on_aws else "emulator", endpoint, kept=keep)

    progress("checking the pool (portal pools check)")
    check = inspect_pool(user_pool_id, pool.region)
    blocking = "; ".join(f.message for f in check.blocking)
    if not report.record("pool can take tenants", check.can_take_tenants, blocking):
        return report

    slug = f"selftest-{secrets.token_hex(3)}"
    report.slug = slug
    tenant = create_tenant(slug, "Portal self-test", [CALLBACK], [], pool_id=user_pool_id)
    progress(f"tenant {slug}: checking the issuer {issuer}")
    result = set_idp(
        tenant,
        issuer=issuer,
        client_id="portal-selftest",
        client_secret=secrets.token_urlsafe(24),
        groups_claim="groups",
    )
    findings = "; ".join(f.message for f in result.errors)
    if not report.record("issuer pre-flight", result.ok, findings):
        return report
    try:
        _onboard_and_check(report, tenant, progress)
    except CognitoError as error:
        report.record("no unexpected Cognito error", False, error.explanation)
    finally:
        if keep:
            report.skip("offboarding", f"--keep: tenant {slug} stays; offboard it when done")
        else:
            _offboard_and_check(report, db.session.get(Tenant, tenant.id), progress)
    return report


def _run(run: Run | None, progress: Callable[[str], None]) -> str:
    """Execute the run here unless a worker claimed it first; wait for it either way."""
    if run is None:
        return RunStatus.SUCCEEDED
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        execute_run(run.id, WORKER)
        db.session.expire_all()
        current = db.session.get(Run, run.id)
        if current.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED):
            progress(f"  {current.kind}: {current.status}")
            return current.status
        if time.monotonic() > deadline:
            return current.status
        time.sleep(1)


def _onboard_and_check(
    report: SelftestReport, tenant: Tenant, progress: Callable[[str], None]
) -> None:
    progress("onboarding")
    [run] = queue_onboarding([tenant])
    status = _run(run, progress)
    tenant = db.session.get(Tenant, tenant.id)
    if not report.record("onboarding run", status == RunStatus.SUCCEEDED, tenant.last_error or ""):
        return
    pool = tenant.pool
    gateway = gateway_for(pool.region, TenantCallRecorder(tenant.id))
    client = gateway.call("DescribeUserPoolClient", pool.user_pool_id, ClientId=tenant.client_id)[
        "UserPoolClient"
    ]
    _check_client(report, tenant, client)
    provider = gateway.call(
        "DescribeIdentityProvider", pool.user_pool_id, ProviderName=tenant.provider_name
    )["IdentityProvider"]
    details = provider.get("ProviderDetails", {})
    report.record(
        "identity provider details",
        details.get("client_id") == "portal-selftest"
        and details.get("oidc_issuer") == tenant.issuer
        and details.get("authorize_scopes") == tenant.authorize_scopes,
        json.dumps({k: v for k, v in details.items() if k != "client_secret"}, sort_keys=True),
    )
    mapping = provider.get("AttributeMapping", {})
    report.record(
        "attribute mapping",
        mapping.get("email") == "email" and mapping.get("custom:groups") == "groups",
        json.dumps(mapping, sort_keys=True),
    )
    if pool.needs_styles:
        style = gateway.call(
            "DescribeManagedLoginBrandingByClient", pool.user_pool_id, ClientId=tenant.client_id
        ).get("ManagedLoginBranding")
        report.record("managed-login style", bool(style), "one style for the client")
    else:
        report.skip("managed-login style", "classic hosted UI (version 1): the portal makes none")
    _check_urls(report, tenant)
    findings = drift.check_drift(tenant)
    report.record("drift", findings == [], f"{len(findings)} finding(s)")

    progress("planning and applying a change")
    lifecycle.update_tenant(tenant, callback_urls=[CALLBACK, SECOND_CALLBACK])
    plan = lifecycle.plan_tenant(tenant)
    fields = {c["field"] for r in plan.resources for c in r.changes}
    report.record("plan shows the change", fields == {"CallbackURLs"}, ", ".join(sorted(fields)))
    status = _run(lifecycle.apply_tenant(tenant), progress)
    live = gateway.call("DescribeUserPoolClient", pool.user_pool_id, ClientId=tenant.client_id)[
        "UserPoolClient"
    ]
    report.record(
        "change applied",
        status == RunStatus.SUCCEEDED and SECOND_CALLBACK in live.get("CallbackURLs", []),
        ", ".join(live.get("CallbackURLs", [])),
    )
    after = lifecycle.plan_tenant(db.session.get(Tenant, tenant.id)).changes
    report.record("nothing left to apply", after == 0, f"{after} change(s)")


def _check_client(report: SelftestReport, tenant: Tenant, client: dict[str, Any]) -> None:
    wanted = {
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": [tenant.provider_name],
    }
    wrong = [f"{k}={client.get(k)!r}" for k, v in wanted.items() if client.get(k) != v]
    if CALLBACK not in (client.get("CallbackURLs") or []):  # beside the portal's test sign-in
        wrong.append(f"CallbackURLs={client.get('CallbackURLs')!r}")
    report.record(
        "app client OAuth settings",
        not wrong,
        "; ".join(wrong) or "code flow, only openid, only the tenant's provider, the callback",
    )
    writes = set(client.get("WriteAttributes") or [])
    report.record(
        "app client attribute permissions",
        {"email", "custom:groups"} <= writes,
        "writes: " + ", ".join(sorted(writes)),
    )
    has_secret = bool(client.get("ClientSecret"))
    report.record("app client secret", has_secret, "confidential client (secret returned)")


def _check_urls(report: SelftestReport, tenant: Tenant) -> None:
    urls = hosted_urls(tenant)
    if report.target != "aws":
        report.skip("hosted pages", "the emulator serves no hosted pages")
        report.skip("issuer discovery", "the emulator serves no discovery document")
        return
    # Only a real account can say whether a client without a style has login pages (issue 19
    # item 2) and whether the partition's host names are right (item 9).
    status, body = _get(urls["login_url"] or "")
    report.record(
        "hosted pages",
        status in (200, 302) and UNAVAILABLE not in body,
        f"GET /login answered {status}" + (f" ({UNAVAILABLE})" if UNAVAILABLE in body else ""),
    )
    status, body = _get(f"{urls['issuer']}/.well-known/openid-configuration")
    try:
        document = json.loads(body)
    except ValueError:
        document = {}
    report.record(
        "issuer discovery",
        document.get("issuer") == urls["issuer"] and document.get("jwks_uri") == urls["jwks_uri"],
        f"issuer {document.get('issuer')}, jwks_uri {document.get('jwks_uri')}",
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str) -> tuple[int, str]:
    """GET an AWS-hosted URL (not a customer's: no SSRF guard needed), without redirects."""
    if not url.startswith("https://"):
        return 0, ""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=HTTP_TIMEOUT) as response:
            return response.status, response.read(200_000).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(200_000).decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError) as error:
        return 0, str(error)


def _offboard_and_check(
    report: SelftestReport, tenant: Tenant, progress: Callable[[str], None]
) -> None:
    progress("offboarding")
    client_id, provider = tenant.client_id, tenant.provider_name
    status = _run(lifecycle.offboard(tenant), progress)
    tenant = db.session.get(Tenant, tenant.id)
    report.record(
        "offboarding run",
        tenant.status == TenantStatus.OFFBOARDED,
        f"run {status}, tenant {tenant.status}",
    )
    pool = tenant.pool
    if pool is None:
        return
    gateway = gateway_for(pool.region, TenantCallRecorder(tenant.id))
    left = []
    if client_id and _exists(
        lambda: gateway.call("DescribeUserPoolClient", pool.user_pool_id, ClientId=client_id)
    ):
        left.append(f"app client {client_id}")
    if _exists(
        lambda: gateway.call("DescribeIdentityProvider", pool.user_pool_id, ProviderName=provider)
    ):
        left.append(f"identity provider {provider}")
    names = [
        c.get("ClientName")
        for c in gateway.paginate("ListUserPoolClients", "UserPoolClients", pool.user_pool_id)
    ]
    if tenant.client_name in names:
        left.append(f"a client named {tenant.client_name}")
    report.record("nothing left in Cognito", not left, ", ".join(left) or "client, provider gone")


def _exists(call: Callable[[], Any]) -> bool:
    try:
        call()
    except NotFoundError:
        return False
    return True
