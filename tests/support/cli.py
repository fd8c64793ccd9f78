"""The portal's command line, invoked in-process with Click's runner."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(args=list(args), input=stdin, catch_exceptions=False)

    return invoke
