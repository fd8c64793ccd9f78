"""docker-compose.yml, .env.example, the Dockerfile and constraints.txt, checked without Docker.

No Docker engine runs here, so the stack is checked the way Docker would read it, and every
command and setting is checked against what the portal (and gunicorn) actually accept.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from cryptography.fernet import Fernet
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from portal.config import KNOWN_SETTINGS, ROWS, load_settings
from tests.support.environment import ROOT

PORTAL_SERVICES = ("migrate", "web", "worker", "beat", "metrics")
LONG_RUNNING = ("web", "worker", "beat", "metrics", "redis", "postgres")
REQUIRED_EMPTY = {
    "POSTGRES_PASSWORD",
    "PORTAL_SECRET_KEY",
    "PORTAL_ENCRYPTION_KEYS",
    "PORTAL_METRICS_TOKEN",
}
VARIABLE_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^${}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict[str, Any]:
    return compose["services"]


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def filled_env() -> dict[str, str]:
    """.env.example with its empty values filled in, as an operator would."""
    values = env_example()
    values.update(
        POSTGRES_PASSWORD=secrets.token_urlsafe(24),
        PORTAL_SECRET_KEY=secrets.token_urlsafe(48),
        PORTAL_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PORTAL_METRICS_TOKEN=secrets.token_urlsafe(24),
    )
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, innermost first."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        current = variables.get(name)
        if op in (":-", "-") and not current:
            return arg
        if op in (":?", "?") and not current:
            raise AssertionError(f"compose would stop: {arg}")
        return current or ""

    while VARIABLE_RE.search(value):
        value = VARIABLE_RE.sub(one, value)
    return value


def dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def portal_invocations(command: list[str]) -> list[list[str]]:
    """The `portal ...` commands a service runs, including those inside `sh -c "a && b"`."""
    if command[:2] == ["sh", "-c"]:
        parts = [shlex.split(part) for part in command[2].split("&&")]
        return [p[1:] if p[0] == "exec" else p for p in parts]
    return [command]


def parse_portal(args: list[str]) -> tuple[click.Command, click.Context]:
    """Parse ARGS exactly as `portal` would (options, choices, types), without running them."""
    from portal.cli import cli

    assert args[0] == "portal", args
    ctx = cli.make_context("portal", list(args[1:]))
    command: click.Command = cli
    while isinstance(command, click.Group):
        tokens = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, sub, rest = command.resolve_command(ctx, tokens)
        assert sub is not None, f"portal has no command {tokens[0]!r}"
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    assert ctx.args == [], f"`{' '.join(args)}`: not portal options: {ctx.args}"
    return command, ctx


def gunicorn_args(command: list[str]):
    from gunicorn.config import Config

    assert command[0] == "gunicorn"
    try:
        return Config().parser().parse_args(command[1:])
    except SystemExit:
        pytest.fail(f"gunicorn refuses {command}")


# --- Structure -------------------------------------------------------------------------------


def test_the_stack_has_the_expected_services(services) -> None:
    assert set(services) == {*PORTAL_SERVICES, "redis", "postgres"}
    for name in PORTAL_SERVICES:
        assert services[name]["build"] == "."
        assert services[name]["image"] == "cognito-tenant-portal:latest"


def test_restart_policies(services) -> None:
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"  # a failed migration stops the deploy


def test_every_long_running_service_has_a_healthcheck(services) -> None:
    for name in LONG_RUNNING:
        check = services[name]["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_state_lives_in_named_volumes(compose, services) -> None:
    declared = set(compose["volumes"])
    assert declared == {"postgres-data", "redis-data", "metrics"}
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    for name in PORTAL_SERVICES:
        assert "metrics:/var/lib/portal-metrics" in services[name]["volumes"], name
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == (
            "/var/lib/portal-metrics"
        )
    for service in services.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared, f"{volume} is not a named volume"


def test_one_env_file_for_the_portal_and_none_for_the_datastores(services) -> None:
    for name in PORTAL_SERVICES:
        assert services[name]["env_file"] == ".env", name
    assert "env_file" not in services["postgres"] and "env_file" not in services["redis"]


def test_nothing_starts_before_the_datastores_are_healthy_and_the_migration_ran(services):
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat", "metrics"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }, name
    migrate = portal_invocations(services["migrate"]["command"])
    assert migrate[-1] == ["portal", "db", "upgrade"]


def test_the_broker_never_evicts_messages(services) -> None:
    command = services["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_only_the_web_port_is_public_and_metrics_stay_on_the_host(services) -> None:
    assert services["web"]["ports"] == ["8000:8000"]
    assert services["metrics"]["ports"] == ["127.0.0.1:9464:9464"]
    for name in ("migrate", "worker", "beat", "redis", "postgres"):
        assert "ports" not in services[name], name


def test_portal_containers_run_without_privileges(services) -> None:
    for name in PORTAL_SERVICES:
        assert services[name]["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in services[name]["security_opt"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")


# --- Commands the portal accepts -------------------------------------------------------------


@pytest.mark.parametrize("name", ["migrate", "worker", "beat", "metrics"])
def test_each_portal_command_parses_with_the_portal_cli(app, services, name) -> None:
    for args in portal_invocations(services[name]["command"]):
        command, _ = parse_portal(args)
        assert command.callback is not None


def test_a_typo_in_a_command_would_be_caught(app) -> None:
    with pytest.raises(click.UsageError):
        parse_portal(["portal", "worker", "--pool", "thread"])  # not a choice
    with pytest.raises(AssertionError):
        parse_portal(["portal", "worker", "--concurency", "8"])  # would go to Celery unread
    with pytest.raises(click.UsageError):
        parse_portal(["portal", "metrics", "serve", "--prot", "9464"])


def test_the_web_command_is_gunicorn_serving_the_portal(services) -> None:
    args = gunicorn_args(services["web"]["command"])
    assert args.args == ["portal.wsgi:app"]
    assert args.bind == ["0.0.0.0:8000"]
    assert args.config == "python:portal.gunicorn_conf"
    import portal.gunicorn_conf as conf

    assert conf.logconfig_dict["root"]["handlers"] == ["portal"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert '"portal.wsgi:app"' in dockerfile


def test_healthchecks_call_what_exists(app, services) -> None:
    for name in ("worker", "beat"):
        test = services[name]["healthcheck"]["test"]
        assert test[0] == "CMD"
        parse_portal(test[1:])
    web_check = services["web"]["healthcheck"]["test"]
    assert web_check[:3] == ["CMD", "python", "-c"]
    compile(web_check[3], "healthcheck", "exec")
    [url] = re.findall(r"http://127\.0\.0\.1:(\d+)(/\w+)", web_check[3])
    assert url[0] == gunicorn_args(services["web"]["command"]).bind[0].rsplit(":", 1)[1]
    assert url[1] in {rule.rule for rule in app.url_map.iter_rules()}
    metrics_check = services["metrics"]["healthcheck"]["test"]
    compile(metrics_check[3], "healthcheck", "exec")
    command = services["metrics"]["command"]
    assert "9464)" in metrics_check[3] and command[command.index("--port") + 1] == "9464"


# --- The image -------------------------------------------------------------------------------


def replay_plan(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    """What scripts/replay_dockerfile.py would replay of DOCKERFILE (it runs nothing)."""
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "replay_dockerfile.py"),
            "--dry-run",
            *("--dockerfile", str(dockerfile)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_image_installs_the_built_wheel_with_the_pinned_closure() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    build, runtime = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert re.search(r"^RUN pip wheel --no-deps --wheel-dir dist \.$", build, re.MULTILINE)
    assert "--editable" not in text and not re.search(r"\s-e\s", text)
    # The final image takes nothing from the checkout but the pins: the code comes in the wheel.
    assert re.findall(r"^COPY (?!--from)(.*)$", runtime, re.MULTILINE) == ["constraints.txt ./"]
    assert "RUN pip install --requirement constraints.txt" in runtime
    assert "RUN pip install --no-index --constraint constraints.txt dist/*.whl" in runtime


@pytest.mark.slow  # runs scripts/replay_dockerfile.py
def test_the_replay_runs_every_install_step_of_the_dockerfile() -> None:
    result = replay_plan(ROOT / "Dockerfile")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    joined = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    runs = [" ".join(line[4:].split()) for line in joined.splitlines() if line.startswith("RUN ")]
    assert sorted(plan["replayed"] + plan["skipped"]) == sorted(runs)
    assert [run.split()[0] for run in plan["skipped"]] == ["groupadd"]  # the user, not Python
    assert [run.split()[:2] for run in plan["replayed"]] == [
        ["pip", "wheel"],
        ["pip", "install"],
        ["pip", "install"],
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("step", "reason"),
    [
        ("RUN apt-get install -y libxmlsec1", "only pip and python steps are replayed"),
        ("RUN pip install /wheels/portal.whl", "/wheels/portal.whl is outside WORKDIR"),
        ("ADD https://example.com/x.whl ./", "ADD is not replayed"),
    ],
)
def test_the_replay_refuses_what_it_cannot_reproduce(tmp_path: Path, step: str, reason: str):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM python:3.11-slim-bookworm\nWORKDIR /app\n{step}\n")
    result = replay_plan(dockerfile)
    assert result.returncode != 0
    assert reason in result.stderr


# --- Settings ---------------------------------------------------------------------------------


def test_every_setting_is_documented_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = [row.env for _attr, row in ROWS if row.env]
    missing = [name for name in names if not re.search(rf"^#? ?{name}=", text, re.MULTILINE)]
    assert missing == []
    mentioned = set(re.findall(r"\bPORTAL_[A-Z0-9_]+", text))
    assert mentioned <= KNOWN_SETTINGS, mentioned - KNOWN_SETTINGS


def test_env_example_leaves_exactly_the_secrets_to_fill_in() -> None:
    empty = {name for name, value in env_example().items() if not value}
    assert empty == REQUIRED_EMPTY


def test_compose_sets_only_settings_the_portal_knows(services) -> None:
    for name in PORTAL_SERVICES:
        for variable in services[name]["environment"]:
            assert variable in KNOWN_SETTINGS or not variable.startswith("PORTAL_"), variable


def test_the_stack_settings_load_in_production(services, tmp_path: Path) -> None:
    env = filled_env()
    container = dict(dockerfile_env())
    container.update(env)
    container.update(
        {k: interpolate(str(v), env) for k, v in services["web"]["environment"].items()}
    )
    container["PORTAL_INSTANCE_PATH"] = str(tmp_path)
    settings = load_settings(container)
    assert settings.env == "production"
    assert settings.database_url == (
        f"postgresql+psycopg://portal:{env['POSTGRES_PASSWORD']}@postgres:5432/portal"
    )
    assert settings.broker_url == settings.redis_url == "redis://redis:6379/0"
    assert settings.log_format == "json"
    assert settings.public_url.startswith("https://")
    assert settings.metrics_token == env["PORTAL_METRICS_TOKEN"]
    postgres_env = {
        k: interpolate(str(v), env) for k, v in services["postgres"]["environment"].items()
    }
    assert postgres_env["POSTGRES_PASSWORD"] == env["POSTGRES_PASSWORD"]


def test_compose_refuses_to_start_without_the_database_password(services) -> None:
    env = filled_env()
    env["POSTGRES_PASSWORD"] = ""
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        interpolate(services["postgres"]["environment"]["POSTGRES_PASSWORD"], env)


def test_an_external_database_url_in_env_wins(services) -> None:
    env = filled_env() | {"PORTAL_DATABASE_URL": "postgresql://p:x@rds.example.internal/portal"}
    value = interpolate(services["web"]["environment"]["PORTAL_DATABASE_URL"], env)
    assert value == "postgresql://p:x@rds.example.internal/portal"


# --- Pinned dependencies ----------------------------------------------------------------------


def constraint_pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = version
    return pins


def test_constraints_pin_every_runtime_dependency_within_pyproject() -> None:
    pins = constraint_pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for raw in project["dependencies"]:
        requirement = Requirement(raw)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt: run scripts/constraints.py"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside {requirement.specifier}"
        )


def test_constraints_leave_out_the_emulator_and_the_test_tools() -> None:
    pins = constraint_pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    extras = {
        canonicalize_name(Requirement(raw).name)
        for requirements in project["optional-dependencies"].values()
        for raw in requirements
    }
    heavy = {"moto", "sympy", "cfn-lint", "docker", "networkx", "uvicorn", "oidc-provider-mock"}
    assert "moto" in extras and "pytest" in extras
    assert sorted((extras - runtime | heavy) & set(pins)) == []
