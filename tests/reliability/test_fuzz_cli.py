"""Property-based fuzzing of the CLI's input: no crash, no partial write, a clear message."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.models import AuditEvent, Tenant

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
urlish = st.one_of(
    text,
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}{path}",
        st.sampled_from(["http", "https", "ftp", "javascript", ""]),
        st.sampled_from(["localhost", "127.0.0.1", "app.example.com", "", "a b", "[::1]"]),
        st.sampled_from(["/cb", "/cb#frag", "", "/%00", "/cb?x=<script>"]),
    ),
)


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner()
    return lambda *args, stdin=None: runner.invoke(args=list(args), input=stdin)


def counts(db) -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(select(func.count()).select_from(Tenant)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


@FUZZ
@given(slug=text, name=text, callback=urlish, logout=urlish)
def test_tenants_create_never_crashes_and_never_half_writes(cli, db, slug, name, callback, logout):
    before = counts(db)
    result = cli(
        "tenants",
        "create",
        slug,
        "--name",
        name,
        "--callback-url",
        callback,
        "--logout-url",
        logout,
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    after = counts(db)
    if result.exit_code == 2:
        assert after == before  # nothing written
        assert result.stderr.strip().startswith("Error:")  # a message, not a traceback
        assert "Traceback" not in result.stderr
    else:
        assert after[0] == before[0] + 1
        cli("tenants", "offboard", slug.strip(), "--yes")  # keep the slug space free


@FUZZ
@given(client_id=text, groups=text, roles=text, scopes=text)
def test_set_idp_never_crashes_and_saves_nothing_on_refusal(
    cli, db, client_id, groups, roles, scopes
):
    if not counts(db)[0]:
        assert (
            cli(
                "tenants",
                "create",
                "fuzz",
                "--name",
                "Fuzz",
                "--callback-url",
                "http://localhost/cb",
            ).exit_code
            == 0
        )
    args = [
        "tenants",
        "set-idp",
        "fuzz",
        "--issuer",
        "http://127.0.0.1:9",
        "--client-id",
        client_id,
        "--groups-claim",
        groups,
        "--scopes",
        scopes,
        "--client-secret-stdin",
    ]
    if roles:
        args += ["--roles-claim", roles]
    result = cli(*args, stdin="s3cret\n")
    assert result.exit_code in (1, 2), result.output  # the issuer never answers
    assert "Traceback" not in result.stderr
    db.session.rollback()
    assert db.session.scalar(select(Tenant.issuer).where(Tenant.slug == "fuzz")) is None
