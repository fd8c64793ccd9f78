"""`portal dev`: the whole local stack in one process group, pointed only at local services."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from portal.config import current_settings

DEMO_ADMIN = "admin@example.com"
DEMO_REGION = "us-east-1"
DEMO_IDP_PORT = 9400


def _say(message: str = "") -> None:
    click.echo(message, err=True)


def local_aws_environment(
    endpoint: str,
    web_port: int = 8000,
    idp_port: int = DEMO_IDP_PORT,
    hosted_ui: str | None = None,
) -> dict[str, str]:
    """boto3 settings that reach only the emulator: never the machine's real AWS credentials."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k in ("AWS_CA_BUNDLE",)
    }
    env.update(
        {
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint,
            "AWS_ACCESS_KEY_ID": "local-emulator",
            "AWS_SECRET_ACCESS_KEY": "local-emulator",
            "AWS_REGION": DEMO_REGION,
            "AWS_DEFAULT_REGION": DEMO_REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "PORTAL_ALLOW_LOOPBACK_ISSUERS": "1",
        }
    )
    env.setdefault("PORTAL_PUBLIC_URL", f"http://localhost:{web_port}")
    # The emulator has no hosted UI: the demo identity provider plays Cognito's sign-in pages
    # and token endpoint for the test sign-in, as it does in the tests.
    demo = hosted_ui or f"http://localhost:{idp_port}"
    env.setdefault("PORTAL_COGNITO_DOMAIN_OVERRIDE", demo)
    env.setdefault("PORTAL_COGNITO_ISSUER_OVERRIDE", demo)
    return env


def start_emulator(
    env: dict[str, str], port: int, state_file: Path
) -> tuple[subprocess.Popen, dict]:
    command = [
        sys.executable,
        "-m",
        "portal.devtools.emulator",
        "--port",
        str(port),
        "--pools",
        "1",
    ]
    if _emulator_supports_state_file():
        command += ["--state-file", str(state_file)]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=False,
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        raise click.ClickException("the Cognito emulator did not start (see the messages above)")
    return process, json.loads(line)


def _emulator_supports_state_file() -> bool:
    from portal.devtools.emulator.cli import emulator_command

    return any(p.name == "state_file" for p in emulator_command.params)


def prepare_database(info: dict) -> tuple[str, list[str]]:
    """Migrate, register the emulator's pools, and (re)set the demo admin's password."""
    from portal.app import upgrade_database
    from portal.extensions import db
    from portal.models import Role, User
    from portal.services.access.users import (
        create_user,
        find_user,
        generate_password,
        hash_password,
    )
    from portal.services.audit.actors import Actor, acting_as
    from portal.services.pools.registry import find_pool, register_pool

    notes: list[str] = []
    upgrade_database()
    with acting_as(Actor("cli", "portal-dev", "portal dev (local stack)")):
        for pool in info["pools"]:
            if find_pool(pool["user_pool_id"]) is None:
                register_pool(pool["user_pool_id"], pool["region"])
                notes.append(f"registered demo pool {pool['user_pool_id']}")
        password = generate_password()
        user = find_user(DEMO_ADMIN)
        if user is None:
            create_user(DEMO_ADMIN, Role.ADMIN, password)
        else:
            user.password_hash = hash_password(password)
            db.session.commit()
        assert isinstance(find_user(DEMO_ADMIN), User)
    return password, notes


def run_dev_stack(
    web_port: int, emulator_port: int, idp_port: int = DEMO_IDP_PORT, hosted_ui: str = "oidc"
) -> None:

    from portal import create_app

    probe = create_app()
    instance = Path(probe.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        children: list[subprocess.Popen] = []
        stack.callback(_stop_all, children)
        base_env = local_aws_environment("http://127.0.0.1:0", web_port, idp_port)
        emulator, info = start_emulator(base_env, emulator_port, instance / "emulator-state.json")
        children.append(emulator)
        # The demo SAML IdP on the next port; with --hosted-ui saml the SAML stand-in for
        # Cognito's hosted pages on the one after plays them for test sign-ins.
        saml_url = f"http://localhost:{idp_port + 1}"
        standin_url = f"http://localhost:{idp_port + 2}" if hosted_ui == "saml" else None
        env = local_aws_environment(info["endpoint"], web_port, idp_port, standin_url)
        os.environ.update({k: v for k, v in env.items() if k.startswith(("AWS_", "PORTAL_"))})
        for key in [k for k in os.environ if k.startswith("AWS_") and k not in env]:
            del os.environ[key]

        from oidc_provider_mock import User, run_server_in_thread

        demo_users = [
            User(
                sub="alice",
                claims={
                    "email": "alice@example.com",
                    "groups": ["admins", "staff"],
                    "custom:groups": '["admins","staff"]',
                },
            )
        ]
        idp = stack.enter_context(run_server_in_thread(port=idp_port, user_claims=demo_users))
        from portal.devtools.hosted_ui import HostedUi
        from portal.devtools.saml_idp import DemoSamlIdp

        stack.enter_context(_serve_in_thread(DemoSamlIdp(saml_url), idp_port + 1))
        if standin_url:
            stack.enter_context(_serve_in_thread(HostedUi(standin_url), idp_port + 2))

        app = create_app()
        with app.app_context():
            password, notes = prepare_database(info)
            public_url = current_settings().public_url
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "portal",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                "4",
                "--beat",
                "--loglevel",
                "WARNING",
            ],
            env=env,
        )
        children.append(worker)
        web = subprocess.Popen(
            [sys.executable, "-m", "portal", "run", "--port", str(web_port)],
            env=env,
        )
        children.append(web)
        env_file = write_env_file(instance, env)
        notes.append(f"Demo SAML IdP:     {saml_url}/saml/metadata  (users alice, bob)")
        notes.append(
            f"   portal tenants set-idp acme --type saml --metadata-url {saml_url}/saml/metadata"
        )
        if standin_url:
            notes.append(f"SAML hosted-UI stand-in: {standin_url} (test sign-ins of SAML tenants)")
        _banner(info, notes, password, public_url, web_port, idp.server_port, env_file)
        _wait(children)


@contextmanager
def _serve_in_thread(wsgi_app, port: int):
    """Serve a development WSGI app on localhost in a daemon thread."""
    from werkzeug.serving import make_server

    server = make_server("localhost", port, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()


def write_env_file(instance: Path, env: dict[str, str]) -> Path:
    """Settings another terminal sources to use the same local stack from the CLI."""
    keys = [
        *sorted(k for k in env if k.startswith("AWS_")),
        "PORTAL_ALLOW_LOOPBACK_ISSUERS",
        "PORTAL_INSTANCE_PATH",
        "PORTAL_PUBLIC_URL",
    ]
    values = dict(env, PORTAL_INSTANCE_PATH=str(instance))
    path = instance / "dev-env.sh"
    lines = ["# Written by `portal dev`: source it to use the local stack from another shell."]
    # The `portal` command of the environment that runs the stack comes first on PATH.
    lines.append(f'export PATH={shlex.quote(str(Path(sys.executable).parent))}:"$PATH"')
    lines += [f"export {key}={shlex.quote(values[key])}" for key in keys if key in values]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _banner(info, notes, password, public_url, web_port, idp_port, env_file) -> None:
    _say("")
    _say("=" * 72)
    _say(f" Portal:            http://localhost:{web_port}   (PORTAL_PUBLIC_URL={public_url})")
    _say(f" Admin login:       {DEMO_ADMIN} / {password}")
    _say(
        f" Cognito emulator:  {info['endpoint']}  pools: "
        + ", ".join(p["user_pool_id"] for p in info["pools"])
    )
    _say(f" Demo customer IdP: http://localhost:{idp_port}  (any client id and secret work)")
    for note in notes:
        _say(f" {note}")
    _say(f" Try it from another terminal:  . {env_file}")
    _say(
        "   portal tenants create acme --name 'Acme Corp' "
        "--callback-url http://localhost:3000/callback"
    )
    _say(
        f"   echo demo-secret | portal tenants set-idp acme --issuer http://localhost:{idp_port} "
        "--client-id demo --client-secret-stdin"
    )
    _say("   portal tenants onboard acme --wait && portal tenants credentials acme")
    _say(" Press Ctrl-C to stop everything.")
    _say("=" * 72)


def _wait(children: list[subprocess.Popen]) -> None:
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    # Ctrl-C reaches the whole process group: a child that stopped cleanly on it
                    # is not news; one that failed is.
                    if child.returncode not in (0, -signal.SIGINT, -signal.SIGTERM):
                        _say(
                            f"a process of the stack exited ({child.args[2:4]}, "
                            f"code {child.returncode}); stopping the rest"
                        )
                    return
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def _stop_all(children: list[subprocess.Popen]) -> None:
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
