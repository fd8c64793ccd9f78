"""`portal tenants import FILE.csv`: bulk import, all rows or none."""

from __future__ import annotations

import click

from portal.cli.common import InvalidInput, emit_json, operator_command, say


@click.command("import")
@click.argument("csv_file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check every row; import nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (the report).")
@operator_command
def import_command(csv_file, dry_run: bool, as_json: bool) -> None:
    """Create the tenants listed in CSV_FILE (name, slug, callback_urls, contact_email).

    Every row is checked first; if any has a problem nothing is imported, each problem is
    reported with its row number (the header is row 1) and the exit code is 2.
    """
    from portal.services.tenants.imports import MAX_BYTES, import_tenants  # only for an import

    report = import_tenants(csv_file.read(MAX_BYTES + 1), dry_run=dry_run)  # no more is needed
    if as_json:
        emit_json(report.to_dict())
    else:
        for problem in report.problems:
            say(f"row {problem.row}: {problem.field}: {problem.message}")
    if not report.ok:
        raise InvalidInput(
            f"{len(report.problems)} problem(s) in {report.rows} row(s); nothing was imported"
        )
    if dry_run:
        say(f"all {report.rows} row(s) are valid; nothing imported (--dry-run)")
    else:
        say(f"imported {len(report.created)} tenant(s), each with a setup link (shown only now):")
        if not as_json:
            for slug in report.created:
                click.echo(f"{slug}\t{report.setup_links[slug]}")
