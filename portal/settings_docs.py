"""The documents generated from the settings' rows: README's table and .env.example.

`python scripts/settings_docs.py` rewrites both; tests/ops/test_settings_reference.py fails
when either differs from what the rows say.
"""

from __future__ import annotations

import textwrap

from portal.config import ROWS, Row

ENV_HEADER = """\
# Settings for docker-compose.yml. Copy to .env, fill in every empty value, keep .env secret.
# Every PORTAL_ setting is listed; a commented line shows the default. The README's
# "Configuration" table says what each one changes.
# Secret settings (marked "secret") may instead be read from a file: set NAME_FILE to its path
# (e.g. PORTAL_SECRET_KEY_FILE=/run/secrets/portal_secret_key) and leave NAME unset.
# Generated from portal/config.py by scripts/settings_docs.py: edit the rows, not this file.
"""
POSTGRES = """\
# PostgreSQL password for the bundled database; URL-safe characters only:
#   python3 -c "import secrets; print(secrets.token_urlsafe(32))"
POSTGRES_PASSWORD=
"""
AWS = """\
# --- AWS (boto3's standard configuration; nothing is hard-coded) ---------------------------
AWS_REGION=us-east-1
# Prefer a role: an instance profile / ECS task role needs nothing here. Otherwise, e.g.:
# AWS_ROLE_ARN=arn:aws:iam::123456789012:role/cognito-tenant-portal
# AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token
# AWS_PROFILE=portal            (with AWS_CONFIG_FILE mounted; see the README)
"""
SECTIONS = (
    ("required", "# --- Required "),
    ("recommended", None),
    ("optional", None),
    ("aws", None),
    ("stack", "# --- Set by docker-compose.yml or the image; override only to change them "),
    ("tuning", "# --- Tuning (defaults shown) "),
)


def _lines(row: Row) -> list[str]:
    """A row's lines: tuning rows are one commented line (the README says what they change)."""
    assert row.env is not None
    if row.section == "tuning":
        return [f"# {row.env}={_default_text(row)}"]
    label = {"recommended": "recommended", "optional": "optional"}.get(row.section, "")
    label = ", ".join(filter(None, ["secret" if row.secret else "", label]))
    doc = row.doc.replace("`", "").split(" (see [")[0]
    lines = textwrap.wrap(
        (f"{label}: " if label else "") + doc + (":" if row.hint else "."),
        width=98,
        initial_indent="# ",
        subsequent_indent="# ",
    )
    if row.hint:
        lines.append(f"#   {row.hint}")
    filled = row.section in ("required", "recommended") or (
        row.section == "optional" and row.default is not None
    )
    lines.append(f"{row.env}={row.example or ''}" if filled else f"# {row.env}={row.example}")
    return lines


def _default_text(row: Row) -> str:
    if row.example is not None:
        return row.example
    if row.default is None:
        return ""
    if isinstance(row.default, bool):
        return "on" if row.default else "off"
    if isinstance(row.default, float) and row.default.is_integer():
        return str(int(row.default))
    return str(row.default)


def env_example() -> str:
    """.env.example: what an operator fills in, then what the stack sets, then the tuning."""
    parts = [ENV_HEADER]
    for section, title in SECTIONS:
        if section == "aws":
            parts.append("\n" + AWS)
            continue
        rows = [row for _attr, row in ROWS if row.env and row.section == section]
        block = []
        if title:
            block.append(title + "-" * (100 - len(title)))
        if section == "required":
            block.append(POSTGRES.rstrip("\n"))
        for row in rows:
            block.extend(_lines(row))
        parts.append("\n" + "\n".join(block) + "\n")
    return "".join(parts)


def settings_table() -> str:
    """The README's configuration table."""
    lines = ["| setting | default | what it changes |", "|---|---|---|"]
    for _attr, row in ROWS:
        if row.env is None:
            continue
        name = f"`{row.env}`" + (" (+`_FILE`)" if row.secret else "")
        lines.append(f"| {name} | {row.shown} | {row.doc} |")
    return "\n".join(lines)
