"""Shared CLI plumbing: one JSON document on stdout, exit codes 0/1/2, the operator as actor."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

EXIT_FAILED = 1
EXIT_INVALID = 2


class OperationFailed(click.ClickException):
    """The operation ran and failed (exit 1)."""

    exit_code = EXIT_FAILED


class InvalidInput(click.ClickException):
    """Bad usage or invalid input (exit 2)."""

    exit_code = EXIT_INVALID


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    click.echo(message, err=True)


def operator_command(func: Callable) -> Callable:
    """Run as the CLI operator and turn known errors into messages and exit codes."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Imported when a command runs, not when `portal --help` lists the commands.
        from portal.cognito.errors import CognitoError
        from portal.extensions import db
        from portal.oidc.ssrf import FetchFailed, FetchRefused
        from portal.services.audit.actors import acting_as, cli_actor
        from portal.services.pools.registry import NoPoolHasRoom
        from portal.services.tenants.offboarded import CredentialsGone
        from portal.services.tenants.records import UnknownTenant
        from portal.validation import ValidationError

        context = click.get_current_context(silent=True)
        with acting_as(cli_actor(context.command_path if context else None)):
            try:
                return func(*args, **kwargs)
            except ValidationError as exc:
                db.session.rollback()
                raise InvalidInput(f"{exc.field}: {exc.message}") from exc
            except UnknownTenant as exc:
                db.session.rollback()
                raise InvalidInput(str(exc)) from exc
            except CredentialsGone as exc:
                db.session.rollback()
                raise OperationFailed(exc.reason) from exc
            except NoPoolHasRoom as exc:
                db.session.rollback()
                raise OperationFailed(str(exc)) from exc
            except (FetchFailed, FetchRefused) as exc:
                db.session.rollback()
                raise OperationFailed(str(exc)) from exc
            except CognitoError as exc:
                db.session.rollback()
                raise OperationFailed(exc.explanation) from exc

    return wrapper


def read_secret_stdin(what: str) -> str:
    """Read a secret from standard input (a pipe or a hidden prompt), never from argv."""
    if sys.stdin.isatty():
        value = click.prompt(what, hide_input=True, err=True)
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise InvalidInput(f"{what} is empty")
    return value
