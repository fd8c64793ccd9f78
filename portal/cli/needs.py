"""What a command needs before it runs, provided only once its arguments are parsed.

NOTHING: no app at all. APP: the app without the web layer and without generating development
keys (writes nothing). DATABASE: the app, development keys provisioned, and a migrated database
(otherwise: "run `portal db upgrade` first", exit 1). WEB: the same with the web layer.
MIGRATIONS: the app with Flask-Migrate, for `portal db`. A command marks its callback with
`@needs(...)`; unmarked commands get their entry's default from portal.cli.COMMANDS.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

NOTHING, APP, DATABASE, WEB, MIGRATIONS = "nothing", "app", "database", "web", "migrations"
EXIT_FAILED = 1
EXIT_INVALID = 2
_PREPARED = "_portal_prepared"


def needs(level: str) -> Callable[[Callable], Callable]:
    """Mark a command's callback with what it needs (put it below the click decorators)."""

    def mark(callback: Callable) -> Callable:
        callback.portal_needs = level  # type: ignore[attr-defined]
        return callback

    return mark


def prepare(command: click.Command, default: str = DATABASE) -> click.Command:
    """Wrap every leaf command's callback so that what it needs is there when it runs."""
    if getattr(command, _PREPARED, False):
        return command
    setattr(command, _PREPARED, True)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            prepare(sub, default)
    elif command.callback is not None:
        level = getattr(command.callback, "portal_needs", default)
        command.callback = _provide(command.callback, level)
    return command


def _provide(callback: Callable, level: str) -> Callable:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        if level != NOTHING:
            _current_or_new_app(level)
        collect_garbage_from_now()
        return callback(*args, **kwargs)

    return run


def collect_garbage_from_now() -> None:
    """Freeze what the start imported and built, and collect garbage again (portal.cli.main
    turns the collector off while a command starts; a worker or a server then runs for days).
    A collector left on by whoever runs the command (tests, `flask --app portal`) is left alone."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _current_or_new_app(level: str) -> Any:
    """The app already in context (tests, `flask --app portal`), or a new one pushed now.

    The database is checked before a new app is built, so that a command run too early
    writes nothing (not even development keys).
    """
    from flask import current_app, g
    from flask.cli import ScriptInfo

    from portal.config import SettingsError, load_settings

    ctx = click.get_current_context()
    if current_app:
        app = current_app._get_current_object()
        if level in (DATABASE, WEB):
            require_database(app.config["SQLALCHEMY_DATABASE_URI"])
    else:
        info = ctx.find_object(ScriptInfo)
        try:
            if info is not None:
                app = info.load_app()
            else:
                if level in (DATABASE, WEB):
                    require_database(load_settings().database_url)
                app = _build(level)
        except SettingsError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_INVALID)
        ctx.with_resource(app.app_context())
    if level == MIGRATIONS:
        from portal.app import init_migrations

        init_migrations(app)
        g.directory, g.x_arg = None, ()  # what Flask-Migrate's own `db` group would set
    return app


def _build(level: str) -> Any:
    from portal import create_app

    return create_app(web=level == WEB, provision=level != APP)


def database_ready(url: str) -> bool:
    """Whether the database exists and holds the portal's schema (asking creates nothing:
    a missing SQLite file is not connected to)."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path not in ("", ":memory:") and not Path(path).exists():
            return False
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table("alembic_version")
    finally:
        engine.dispose()


def require_database(url: str) -> None:
    from sqlalchemy.exc import OperationalError

    try:
        ready = database_ready(url)
    except OperationalError as exc:
        click.echo(f"error: cannot reach the database: {exc.orig}", err=True)
        raise click.exceptions.Exit(EXIT_FAILED) from exc
    if not ready:
        click.echo("error: the database has no tables yet: run `portal db upgrade` first", err=True)
        raise click.exceptions.Exit(EXIT_FAILED)
