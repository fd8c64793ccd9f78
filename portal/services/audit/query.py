"""Reading the audit history: filters, keyset pages, the per-tenant timeline and a run's calls."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic as time_now
from typing import Any

from flask import g, has_request_context
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    bindparam,
    cast,
    false,
    func,
    or_,
    select,
    union_all,
)

from portal.extensions import db
from portal.models import AuditEvent, CognitoCall, Run, Step, Tenant
from portal.models.types import parse_id
from portal.validation import ValidationError

ACTOR_TYPES = ("user", "setup_link", "api_token", "cli", "system", "anonymous")
# Every action the portal records (tests/audit/test_filters.py checks the source against it):
# the log's pick-list, and what a family ("client_secret.") or a word ("secret") resolves to.
KNOWN_ACTIONS = (
    "tenant.created",
    "tenant.draft_saved",
    "tenant.draft_completed",
    "tenant.placed",
    "tenant.idp_set",
    "tenant.updated",
    "tenant.verified",
    "tenant.unverified",
    "tenant.adopted",
    "tenant.standardized",
    "tenant.move_started",
    "tenant.move_finishing",
    "tenant.saml_metadata_changed",
    "tenant.saml_metadata_unusable",
    "tenant.offboarding",
    "tenant.offboarded",
    "tenants.imported",
    "run.queued",
    "run.resumed",
    "run.started",
    "run.postponed",
    "run.succeeded",
    "run.failed",
    "run.cancelled",
    "cognito.app_client.created",
    "cognito.app_client.updated",
    "cognito.attributes.created",
    "cognito.provider.created",
    "cognito.provider.updated",
    "cognito.attach.updated",
    "cognito.managed_login.created",
    "cognito.add_secret.created",
    "cognito.retire_secret.deleted",
    "cognito.cancel_secret.deleted",
    "cognito.remove_style.deleted",
    "cognito.remove_client.deleted",
    "cognito.remove_provider.deleted",
    "cognito.remove_users.deleted",
    "secret.revealed",
    "client_secret.rotation_started",
    "client_secret.kept",
    "client_secret.retiring",
    "client_secret.rotation_cancelling",
    "client_secret.rotation_cancelled",
    "idp_secret.expiring",
    "saml_certificate.expiring",
    "setup_link.created",
    "setup_link.sent",
    "setup_link.opened",
    "setup_link.preflight_failed",
    "setup_link.submitted",
    "setup_link.used",
    "setup_link.revoked",
    "signin_test.started",
    "signin_test.succeeded",
    "signin_test.claims_missing",
    "signin_test.failed",
    "signin_test.replay_refused",
    "drift.found",
    "drift.accepted",
    "domain.claimed",
    "domain.verified",
    "domain.lost",
    "domain.removed",
    "domain.released",
    "domain.identifiers_changed",
    "user.created",
    "user.password_changed",
    "user.password_reset",
    "user.password_reset_link_issued",
    "user.password_reset_by_link",
    "user.totp_enabled",
    "user.totp_disabled",
    "user.role_changed",
    "user.sessions_ended",
    "user.unlocked",
    "user.disabled",
    "user.enabled",
    "api_token.created",
    "api_token.revoked",
    "webhook.created",
    "webhook.updated",
    "webhook.deleted",
    "webhook.secret_rotated",
    "webhook.test_sent",
    "webhook.redelivered",
    "pool.registered",
    "pool.opened",
    "pool.closed",
    "pool.quotas_changed",
    "settings.changed",
    "auth.signed_in",
    "auth.signed_out",
    "auth.sign_in_failed",
    "audit.exported",
    "audit.verification_requested",
    "audit.verified",
    "audit.retention_applied",
)
PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    """What an auditor narrowed the log to; every field optional."""

    tenant: str | None = None
    actor: str | None = None
    actor_type: str | None = None
    action: str | None = None
    request_id: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive

    def to_dict(self) -> dict[str, str]:
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in self.__dict__.items()
            if value not in (None, "")
        }


# The one matching rule of the audit filter: the log page, its exports, `portal audit export` and
# the API's /audit-events all read it from here.
MATCHING_RULE = (
    "Tenant: any part of a tenant's slug or name, ignoring case (globex finds globex-eu and "
    "Globex Corp). Actor: any part of the actor as the log shows it, ignoring case (admin finds "
    "admin@example.com). Action: a family when it ends with a dot (client_secret. finds every "
    "client_secret.* action); otherwise the action itself and every action of the portal's list "
    "that contains it, ignoring case (secret finds secret.revealed, client_secret.* and "
    "idp_secret.expiring). Kind of actor and request id: exactly. Dates: whole UTC days, both "
    "included."
)


def _contains(text: str) -> str:
    """A LIKE pattern for TEXT anywhere, lower-cased, its own % and _ taken literally."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching_actions(text: str) -> list[str]:
    """The actions TEXT stands for: a family (ends with a dot), or itself and the known ones
    containing it. Resolved here, so the events are read through the (action, id) index."""
    typed = text.strip()
    wanted = typed.lower().removesuffix("*")
    if wanted.endswith("."):
        return [a for a in KNOWN_ACTIONS if a.startswith(wanted)]
    return sorted({typed, *(a for a in KNOWN_ACTIONS if wanted in a)})


def tenant_contains(text: str) -> ColumnElement[bool]:
    """A tenant whose slug or name contains TEXT, ignoring case (trigram indexes on PostgreSQL)."""
    pattern = _contains(text)
    return or_(
        func.lower(Tenant.slug).like(pattern, escape="\\"),
        func.lower(Tenant.name).like(pattern, escape="\\"),
    )


def tenants_matching(text: str) -> Select[tuple[int]]:
    """The ids of the tenants whose slug or name contains TEXT, ignoring case, as a query."""
    return select(Tenant.id).where(tenant_contains(text))


# Up to this many matching tenants, a page reads each tenant's newest events through
# (tenant_id, id) and merges them; beyond it they are common enough to find walking the ids.
MERGE_TENANTS = 50

# What the log reads of the tenants on every page, kept per process while no tenant is added or
# changed: a tenant text's first matches (finding them scans every tenant's slug and name, 5 to
# 11 ms and 2 ms of planning for 10,000 tenants on PostgreSQL, the trigram indexes being slower
# for such text) and the slugs the filter suggests (200 rows). At most a minute, for a change
# committed after a later one (the version would miss it).
TENANTS_KEPT_SECONDS = 60.0
TENANTS_KEPT = 256
_kept: OrderedDict[tuple[Any, ...], tuple[float, list]] = OrderedDict()
_kept_lock = threading.Lock()


def _tenants_version() -> tuple[Any, ...]:
    """The newest tenant's id and the latest change: read once per web request (a filtered page
    of the log asks for its matches and its suggestions)."""
    if has_request_context() and "tenants_version" in g:
        return g.tenants_version
    version = tuple(
        db.session.execute(select(func.max(Tenant.id), func.max(Tenant.updated_at))).one()
    )
    if has_request_context():
        g.tenants_version = version
    return version


def _while_tenants_unchanged(key: tuple[Any, ...], read: Callable[[], list]) -> list:
    """READ's answer, kept under KEY while no tenant is added or changed (TENANTS_KEPT_SECONDS
    at most)."""
    key, now = (*key, _tenants_version()), time_now()
    with _kept_lock:
        kept = _kept.get(key)
        if kept is not None and now - kept[0] < TENANTS_KEPT_SECONDS:
            return kept[1]
    found = read()
    with _kept_lock:
        _kept[key] = (now, found)
        _kept.move_to_end(key)
        while len(_kept) > TENANTS_KEPT:
            _kept.popitem(last=False)
    return found


def first_tenants_matching(text: str) -> list[int]:
    """Up to MERGE_TENANTS + 1 ids of the tenants whose slug or name contains TEXT: enough to
    tell none, a few and many apart."""
    return _while_tenants_unchanged(
        ("matching", text.strip().lower()),
        lambda: list(
            db.session.scalars(tenants_matching(text).order_by(Tenant.id).limit(MERGE_TENANTS + 1))
        ),
    )


@dataclass(frozen=True)
class _Conditions:
    """A filter as SQL: the tenant condition apart, for pages that read tenant by tenant."""

    tenant_ids: list[int] | None  # None: no tenant filter, or more than MERGE_TENANTS match
    tenant: ColumnElement[bool] | None
    others: list[ColumnElement[bool]]

    @property
    def all(self) -> list[ColumnElement[bool]]:
        return ([self.tenant] if self.tenant is not None else []) + self.others


def filter_conditions(flt: AuditFilter) -> list[ColumnElement[bool]]:
    """SQL conditions for the filter (MATCHING_RULE); dates become id bounds so every filter
    pages by id."""
    return _conditions(flt).all


def _conditions(flt: AuditFilter) -> _Conditions:
    tenant_ids: list[int] | None = None
    tenant_cond: ColumnElement[bool] | None = None
    if flt.tenant:
        # One short look tells none, a few, or many: a few are read tenant by tenant; many are a
        # semi-join, so PostgreSQL walks the newest events and probes each one's tenant (1 ms for
        # 3,333 of 10,000 tenants, where fetching their ids and writing them into the statement
        # took 10 ms and as much Python).
        found = first_tenants_matching(flt.tenant)
        if not found:
            raise ValidationError("tenant", f"no tenant's slug or name contains “{flt.tenant}”")
        if len(found) <= MERGE_TENANTS:
            tenant_ids = sorted(found)
            tenant_cond = AuditEvent.tenant_id.in_(tenant_ids)
        else:
            tenant_cond = AuditEvent.tenant_id.in_(tenants_matching(flt.tenant))
    conds: list[ColumnElement[bool]] = []
    if flt.actor:
        # On PostgreSQL a trigram index on lower(actor_label) finds a rare actor without a scan.
        conds.append(func.lower(AuditEvent.actor_label).like(_contains(flt.actor), escape="\\"))
    if flt.actor_type:
        if flt.actor_type not in ACTOR_TYPES:
            raise ValidationError(
                "actor_type", f"actor type must be one of {', '.join(ACTOR_TYPES)}"
            )
        conds.append(AuditEvent.actor_type == flt.actor_type)
    if flt.action:
        conds.append(AuditEvent.action.in_(matching_actions(flt.action)))
    if flt.request_id:
        conds.append(AuditEvent.request_id == flt.request_id)
    if flt.since and flt.until and flt.until < flt.since:
        raise ValidationError("until", "the end date is before the start date")
    if flt.since:
        conds.append(_id_bound(AuditEvent.at >= _midnight(flt.since), first=True))
    if flt.until:
        conds.append(_id_bound(AuditEvent.at < _midnight(flt.until + timedelta(days=1)), False))
    return _Conditions(tenant_ids, tenant_cond, conds)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _id_bound(condition: ColumnElement[bool], first: bool) -> ColumnElement[bool]:
    """The id range of a time range, found with one probe of the index on `at`.

    record() stamps each event after taking the chain's lock, so ids and times rise together;
    paging by id alone then stays one index range scan (a time predicate beside it makes
    PostgreSQL misjudge how many rows match, and sort them all).
    """
    order = (
        (AuditEvent.at, AuditEvent.id) if first else (AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    edge = db.session.scalar(select(AuditEvent.id).where(condition).order_by(*order).limit(1))
    if edge is None:
        return false()
    return AuditEvent.id >= edge if first else AuditEvent.id <= edge


@dataclass
class Page:
    """One page of events, newest first, and the cursors of its neighbours."""

    rows: list[tuple[Any, str | None]]  # (the event's shown columns, its tenant's slug)
    newer: int | None = None  # ?after=
    older: int | None = None  # ?before=


def events_page(
    flt: AuditFilter, before: int | None = None, after: int | None = None, limit: int = PAGE_SIZE
) -> Page:
    """Keyset pagination on id: each page is one index range scan (or a few merged), however
    deep."""
    found = _conditions(flt)
    if after is not None:
        ids = _page_ids(found, after, newest_first=False, limit=limit + 1)
        more = len(ids) > limit
        rows = _rows(ids[:limit])  # the oldest LIMIT after the cursor, shown newest first
        return Page(
            rows,
            newer=rows[0][0].id if more and rows else None,
            older=rows[-1][0].id if rows else after + 1,
        )
    ids = _page_ids(found, before, newest_first=True, limit=limit + 1)
    more = len(ids) > limit
    rows = _rows(ids[:limit])
    return Page(
        rows,
        newer=rows[0][0].id if before is not None and rows else None,
        older=rows[-1][0].id if more else None,
    )


def _page_ids(found: _Conditions, cursor: int | None, newest_first: bool, limit: int) -> list[int]:
    """The ids of a page, newest first (before CURSOR) or oldest first (after it): one scan by
    id, or, for a few tenants, one (tenant_id, id) scan each merged (walking the ids would read
    every event between a small tenant's)."""
    if not found.tenant_ids:
        query = select(AuditEvent.id).where(*found.all, *_past(cursor, newest_first))
        order = AuditEvent.id.desc() if newest_first else AuditEvent.id
        return list(db.session.scalars(query.order_by(order).limit(limit)))
    if found.others:
        query = _merge(found.tenant_ids, found.others, cursor, newest_first, limit)
        return list(db.session.scalars(query))
    # A tenant text alone: the merge's shape is kept, its tenants and cursor bound.
    params: dict[str, int] = {f"tenant_{i}": t for i, t in enumerate(found.tenant_ids)}
    if cursor is not None:
        params["cursor"] = cursor
    query = _bound_merge(len(found.tenant_ids), cursor is not None, newest_first, limit)
    return list(db.session.scalars(query, params))


def _past(cursor: Any, newest_first: bool) -> list[ColumnElement[bool]]:
    """The condition of the ids beyond CURSOR in the page's direction (none without one)."""
    if cursor is None:
        return []
    return [AuditEvent.id < cursor if newest_first else AuditEvent.id > cursor]


def _merge(
    tenants: list[Any],
    others: list[ColumnElement[bool]],
    cursor: Any,
    newest_first: bool,
    limit: int,
) -> Select[tuple[int]]:
    """One (tenant_id, id) scan per tenant, merged: TENANTS and CURSOR are values or bound
    parameters."""
    order = AuditEvent.id.desc() if newest_first else AuditEvent.id
    parts = [
        select(AuditEvent.id)
        .where(AuditEvent.tenant_id == tenant, *others, *_past(cursor, newest_first))
        .order_by(order)
        .limit(limit)
        .subquery()
        for tenant in tenants
    ]
    merged = union_all(*(select(part.c.id) for part in parts)).subquery()
    query = select(merged.c.id).order_by(merged.c.id.desc() if newest_first else merged.c.id)
    return query.limit(limit)


@functools.lru_cache(maxsize=4 * MERGE_TENANTS)
def _bound_merge(
    tenants: int, with_cursor: bool, newest_first: bool, limit: int
) -> Select[tuple[int]]:
    """The merge with bound tenant ids and cursor, built once per shape: building ten
    subqueries and their cache key was 60% of the merge's Python."""
    ids = [bindparam(f"tenant_{i}") for i in range(tenants)]
    cursor = bindparam("cursor") if with_cursor else None
    return _merge(ids, [], cursor, newest_first, limit)


# What a page of the log shows of each event: read as plain rows, not ORM objects (building 50
# tracked AuditEvents was a third of the page's query time; nothing on the page changes them).
# The details come as their JSON text, so a row is a hashable record of all it shows: the log
# keeps each row's HTML under it (portal/web/audit/routes.py) and decodes only rows it renders.
_SHOWN = (
    AuditEvent.id,
    AuditEvent.at,
    AuditEvent.actor_type,
    AuditEvent.actor_label,
    AuditEvent.action,
    AuditEvent.request_id,
    AuditEvent.source_ip,
    cast(AuditEvent.details, Text).label("details_json"),
)


def _rows(ids: list[int]) -> list[tuple[Any, str | None]]:
    """The events of IDS (their shown columns, by attribute) with their tenants' slugs, newest
    first."""
    if not ids:
        return []
    query = (
        select(*_SHOWN, Tenant.slug.label("tenant_slug"))
        .outerjoin(Tenant, Tenant.id == AuditEvent.tenant_id)
        .where(AuditEvent.id.in_(ids))
        .order_by(AuditEvent.id.desc())
    )
    return [(row, row.tenant_slug) for row in db.session.execute(query)]


def export_rows(flt: AuditFilter, upto: int | None, batch: int = 1000) -> Iterator[Any]:
    """Every matching event up to id UPTO, oldest first, through a server-side cursor."""
    if upto is None:
        return
    events = AuditEvent.__table__
    query = (
        select(events, Tenant.slug.label("tenant_slug"))
        .outerjoin(Tenant, Tenant.id == events.c.tenant_id)
        .where(*filter_conditions(flt), events.c.id <= upto)
        .order_by(events.c.id)
    )
    result = db.session.execute(query, execution_options={"yield_per": batch})
    try:
        yield from result
    finally:
        result.close()


def describe(details: dict[str, Any] | None, limit: int = 6) -> list[str]:
    """A few short lines saying what an event changed (details are redacted already)."""
    details = details or {}
    lines: list[str] = []
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        for key in after:
            if before.get(key) != after.get(key):
                lines.append(f"{key}: {_short(before.get(key))} → {_short(after.get(key))}")
    elif isinstance(after, dict):
        lines += [f"{k}: {_short(v)}" for k, v in after.items() if v not in (None, "", [], {})]
    for key, value in details.items():
        if key not in ("before", "after") and value not in (None, "", [], {}):
            lines.append(f"{key}: {_short(value)}")
    return lines[:limit] + ([f"… {len(lines) - limit} more"] if len(lines) > limit else [])


def _short(value: Any, width: int = 80) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict) and "resource" in value[0]:
        text = "; ".join(
            " ".join(str(c.get(k)) for k in ("action", "resource", "field") if c.get(k))
            for c in value
        )
    elif isinstance(value, dict):
        text = ", ".join(f"{k} {_short(v, 20)}" for k, v in value.items() if v is not None)
    elif isinstance(value, list):
        text = ", ".join(_short(v, 40) for v in value)
    elif value is None:
        text = "—"
    else:
        text = value if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


# The per-tenant timeline ---------------------------------------------------------------------

KIND_RANK = {"event": 0, "run": 1, "step": 2, "call": 3}


@dataclass(frozen=True)
class Cursor:
    """A position in a timeline: a time, then a kind and an id to break ties."""

    at: datetime
    rank: int
    id: int

    def __str__(self) -> str:
        return f"{self.at.isoformat()}~{self.rank}~{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        try:
            at, rank, ident = (text or "").split("~")
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None:
                return None
            number = parse_id(ident)
            if number is None or not rank.isdigit() or len(rank) > 2:
                return None
            return cls(moment.astimezone(UTC), int(rank), number)
        except (ValueError, OverflowError):
            return None


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    id: int
    obj: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.at, KIND_RANK[self.kind], self.id)

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.at, KIND_RANK[self.kind], self.id)


@dataclass
class Timeline:
    items: list[TimelineItem]
    earlier: Cursor | None = None  # ?before=
    later: Cursor | None = None  # ?after=


def tenant_timeline(
    tenant: Tenant,
    after: Cursor | None = None,
    before: Cursor | None = None,
    latest: bool = False,
    limit: int = 100,
) -> Timeline:
    """Audit events, runs, steps and Cognito calls of one tenant, interleaved in time order."""
    backwards = before is not None or latest
    cursor = before if backwards else after
    fetch = limit + 25  # room for ties at the cursor's exact moment
    sources = [
        ("event", AuditEvent, AuditEvent.at, [AuditEvent.tenant_id == tenant.id]),
        ("run", Run, Run.created_at, [Run.tenant_id == tenant.id]),
        (
            "step",
            Step,
            Step.started_at,
            [Step.run_id.in_(select(Run.id).where(Run.tenant_id == tenant.id))],
        ),
        ("call", CognitoCall, CognitoCall.started_at, [CognitoCall.tenant_id == tenant.id]),
    ]
    items: list[TimelineItem] = []
    for kind, model, moment, conds in sources:
        query = select(model).where(*conds, moment.is_not(None))
        # Events: page by id on (tenant_id, id), their times rising with their ids.
        key = (model.id,) if model is AuditEvent else (moment, model.id)
        if cursor is not None:
            if model is AuditEvent:
                reach = moment <= cursor.at if backwards else moment >= cursor.at
                query = query.where(_id_bound(reach, first=not backwards))
            else:
                query = query.where(moment <= cursor.at if backwards else moment >= cursor.at)
        order = tuple(k.desc() for k in key) if backwards else key
        for obj in db.session.scalars(query.order_by(*order).limit(fetch)):
            items.append(TimelineItem(getattr(obj, moment.key), kind, obj.id, obj))
    if cursor is not None:
        mark = (cursor.at, cursor.rank, cursor.id)
        items = [i for i in items if (i.key < mark if backwards else i.key > mark)]
    items.sort(key=lambda i: i.key, reverse=backwards)
    more = len(items) > limit
    items = items[:limit]
    if backwards:
        items.reverse()
    _annotate(items)
    if not items:
        return Timeline([], earlier=None, later=None)
    return Timeline(
        items,
        earlier=items[0].cursor if (more if backwards else cursor is not None) else None,
        later=items[-1].cursor if (more if not backwards else cursor is not None) else None,
    )


def _annotate(items: list[TimelineItem]) -> None:
    """Give steps and calls the names a reader needs: the step a call was made under."""
    step_ids = {i.obj.step_id for i in items if i.kind == "call" and i.obj.step_id}
    names = (
        dict(db.session.execute(select(Step.id, Step.name).where(Step.id.in_(step_ids))).all())
        if step_ids
        else {}
    )
    for item in items:
        if item.kind == "call":
            item.extra["step"] = names.get(item.obj.step_id)


# A run and the calls under each of its steps -------------------------------------------------


@dataclass
class StepCalls:
    step: Step
    calls: list[CognitoCall]


@dataclass
class RunHistory:
    run: Run
    tenant: Tenant
    steps: list[StepCalls]
    unattached: list[CognitoCall]
    events: list[AuditEvent]

    @property
    def call_count(self) -> int:
        return sum(len(s.calls) for s in self.steps) + len(self.unattached)


def run_history(run: Run) -> RunHistory:
    """A run's steps, every Cognito call under the step that made it, and its audit events."""
    calls = db.session.scalars(
        select(CognitoCall).where(CognitoCall.run_id == run.id).order_by(CognitoCall.id)
    ).all()
    by_step: dict[int | None, list[CognitoCall]] = {}
    for call in calls:
        by_step.setdefault(call.step_id, []).append(call)
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.tenant_id == run.tenant_id,
            AuditEvent.details["run_id"].as_integer() == run.id,
        )
        .order_by(AuditEvent.id)
    ).all()
    step_ids = {s.id for s in run.steps}
    return RunHistory(
        run=run,
        tenant=db.session.get(Tenant, run.tenant_id),
        steps=[StepCalls(s, by_step.get(s.id, [])) for s in run.steps],
        unattached=[c for c in calls if c.step_id not in step_ids],
        events=list(events),
    )


TENANTS_PER_PAGE = 100


def find_tenants(search: str | None = None, limit: int = TENANTS_PER_PAGE) -> list[Tenant]:
    """Tenants whose slug or name contains SEARCH (all when empty), at most LIMIT, by slug.

    A vendor may have tens of thousands: the timeline index pages through them, never all.
    """
    query = select(Tenant).order_by(Tenant.slug).limit(limit)
    if search and search.strip():
        query = query.where(tenant_contains(search))
    return list(db.session.scalars(query))


def tenant_slugs(limit: int = 200) -> list[str]:
    """A few slugs to suggest in the log's tenant filter (it takes any part of a slug or name)."""
    return _while_tenants_unchanged(
        ("slugs", limit),
        lambda: list(db.session.scalars(select(Tenant.slug).order_by(Tenant.slug).limit(limit))),
    )
