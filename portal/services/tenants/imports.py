"""Bulk import of tenants from CSV: every row checked, then all created in one transaction, or none.

Columns (a header row is required, in any order, names case-insensitive): `name`, `slug`,
`callback_urls` (several separated by spaces or `|`), `contact_email`; optional `logout_urls` and
`provider_type` (`OIDC`, the default, or `SAML`: the setup link then asks for SAML metadata).
Rows are numbered as a spreadsheet shows them: the header is row 1, the first tenant row 2.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Tenant
from portal.services.audit import trail
from portal.services.selfservice import setup_links
from portal.services.tenants.records import NewTenant, add_tenant, new_tenant_problems

REQUIRED_COLUMNS = ("name", "slug", "callback_urls", "contact_email")
OPTIONAL_COLUMNS = ("logout_urls", "provider_type")
PROVIDER_TYPES = ("OIDC", "SAML")
MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
# A handful of columns are used; a spreadsheet may add a few empty or stray ones. Every check of
# the header is linear, and a wider header is refused before any is made.
MAX_COLUMNS = 100
SNIFF_CHARS = 4096  # the delimiter is guessed from the start of the header row
URL_SEPARATORS = re.compile(r"[\s|]+")
TEMPLATE = (
    "name,slug,callback_urls,contact_email\r\n"
    'Acme Corp,acme-corp,"https://app.example.com/callback|http://localhost:3000/callback",'
    "it@acme.example\r\n"
)


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with the file: the row (1 is the header), the column and why."""

    row: int
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    """What an import found and did; `created` is empty whenever `problems` is not."""

    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    # A setup link per new tenant: its URL is shown this once (only its hash is kept).
    setup_links: dict[str, str] = field(default_factory=dict, repr=False)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": list(self.created),
            "setup_links": dict(self.setup_links),
            "problems": [p.to_dict() for p in self.problems],
        }


def too_large_message() -> str:
    return f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into several imports"


def split_urls(value: str | None) -> list[str]:
    return [part for part in URL_SEPARATORS.split(value or "") if part]


def decode(data: bytes) -> str:
    """UTF-8 text, with or without the byte-order mark spreadsheets write."""
    return data.decode("utf-8-sig")


def parse(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowProblem]]:
    """The file's rows as (row number, {column: value}), or the problems with its shape."""
    if not text.strip():
        return [], [RowProblem(1, "file", "the file is empty")]
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):
        first_line = text.lstrip("\r\n").partition("\n")[0]
        dialect = csv.Sniffer().sniff(first_line[:SNIFF_CHARS], delimiters=",;\t")
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        return [], [RowProblem(1, "file", f"the header row cannot be read ({exc})")]
    if len(header) > MAX_COLUMNS:
        known = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        message = f"the header row has {len(header)} columns; at most {MAX_COLUMNS} are read"
        return [], [RowProblem(1, "file", f"{message} (the import uses {known})")]
    counts = Counter(c for c in header if c)
    known = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    problems = [
        RowProblem(1, c, "this column is missing") for c in REQUIRED_COLUMNS if c not in counts
    ]
    problems += [
        RowProblem(1, column, "unknown column (expected " + ", ".join(REQUIRED_COLUMNS) + ")")
        for column in counts
        if column not in known
    ]
    problems += [
        RowProblem(1, c, "this column appears twice") for c in sorted(counts) if counts[c] > 1
    ]
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            number = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank lines are skipped, as spreadsheets leave them
            if len(values) > len(header):
                problems.append(
                    RowProblem(number, "row", f"{len(values)} values for {len(header)} columns")
                )
                continue
            rows.append((number, {h: v.strip() for h, v in zip(header, values, strict=False)}))
            if len(rows) > MAX_ROWS:
                return [], [RowProblem(number, "file", f"more than {MAX_ROWS} rows")]
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, "row", f"malformed CSV: {exc}"))
    return rows, problems


def provider_type(row: dict[str, str]) -> str:
    return (row.get("provider_type") or "OIDC").strip().upper()


def check_rows(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[NewTenant], list[RowProblem]]:
    """Each row through create_tenant's rules, plus slugs repeated within the file."""
    slugs = [r.get("slug", "").strip() for _, r in rows]
    existing = set(db.session.scalars(select(Tenant.slug).where(Tenant.slug.in_(slugs))).all())
    seen: dict[str, int] = {}
    checked: list[NewTenant] = []
    problems: list[RowProblem] = []
    for number, row in rows:
        new, found = new_tenant_problems(
            row.get("slug", ""),
            row.get("name", ""),
            split_urls(row.get("callback_urls")),
            split_urls(row.get("logout_urls")),
            contact_email=row.get("contact_email") or None,
            check_contact=True,
            existing_slugs=existing,
        )
        problems += [RowProblem(number, p.field, p.message) for p in found]
        if provider_type(row) not in PROVIDER_TYPES:
            problems.append(
                RowProblem(number, "provider_type", "the provider type must be OIDC or SAML")
            )
        slug = row.get("slug", "").strip()
        if slug and slug in seen:
            problems.append(
                RowProblem(number, "slug", f"{slug!r} is also used on row {seen[slug]}")
            )
        elif slug:
            seen[slug] = number
        if new is not None:
            checked.append(new)
    return checked, problems


def import_tenants(data: bytes, *, dry_run: bool = False) -> ImportReport:
    """Check every row; unless DRY_RUN, create them all in one transaction when all are valid."""
    report = ImportReport(dry_run=dry_run)
    if len(data) > MAX_BYTES:
        report.problems.append(RowProblem(1, "file", too_large_message()))
        return report
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        report.problems.append(RowProblem(1, "file", f"the file is not UTF-8 text ({exc.reason})"))
        return report
    rows, problems = parse(text)
    report.rows = len(rows)
    if not problems and not rows:
        problems.append(RowProblem(2, "file", "the file has a header but no tenant rows"))
    checked, row_problems = check_rows(rows)
    types = {row.get("slug", "").strip(): provider_type(row) for _, row in rows}
    report.problems = sorted(problems + row_problems, key=lambda p: p.row)
    if report.problems or dry_run:
        return report
    used_names: set[str] = set()
    for name, former in db.session.execute(
        select(Tenant.provider_name, Tenant.former_provider_names)
    ):
        used_names.add(name)
        used_names.update(former or ())
    try:
        tenants = [add_tenant(new, used_names) for new in checked]
        for tenant in tenants:
            tenant.provider_type = types.get(tenant.slug, "OIDC")
        links = {t.slug: setup_links.link_url(setup_links.add_link(t)[1]) for t in tenants}
        trail.record("tenants.imported", rows=len(tenants), slugs=[t.slug for t in tenants])
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        report.problems.append(
            RowProblem(
                1,
                "file",
                "another tenant with one of these slugs was created meanwhile; "
                "nothing was imported, try again",
            )
        )
        return report
    except Exception:
        db.session.rollback()
        raise
    report.created = [t.slug for t in tenants]
    report.setup_links = links
    return report
