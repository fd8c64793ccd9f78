"""The README's first command, as a new user follows it: `portal dev`, then the printed steps.

`portal dev` runs in its own process group on free ports with a fresh instance folder (SQLite,
the file broker, the emulator's saved state), exactly as scripts/dev.sh runs it.
"""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests

pytestmark = [pytest.mark.slow]

STARTUP_SECONDS = 90
IDP_SECRET = "customer-idp-secret-" + secrets.token_hex(8)  # the demo IdP accepts any secret


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevStack:
    """One `portal dev` process group and what it printed."""

    def __init__(self, instance: Path, web_port: int, idp_port: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "AWS_"))}
        env["PORTAL_INSTANCE_PATH"] = str(instance)
        self.instance = instance
        self.web_port = web_port
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        command = [sys.executable, "-m", "portal", "dev", "--port", str(web_port)]
        command += ["--idp-port", str(idp_port)]
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=instance.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for_banner(self) -> str:
        """Read until the stack says it is up; return the admin password it printed."""
        deadline = time.monotonic() + STARTUP_SECONDS
        password = None
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, "portal dev exited:\n" + "".join(self.output)
                continue
            self.output.append(line)
            if match := re.search(r"Admin login:\s+admin@example\.com / (\S+)", line):
                password = match.group(1)
            if "Press Ctrl-C to stop everything" in line:
                assert password, "no admin login printed"
                self._wait_for_web()
                return password
        raise AssertionError("portal dev did not come up:\n" + "".join(self.output))

    def _wait_for_web(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url("/healthz"), timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise AssertionError("the web app did not answer")

    def url(self, path: str) -> str:
        return f"http://localhost:{self.web_port}{path}"

    def shell(self, command: str, stdin: str = "") -> subprocess.CompletedProcess:
        """Run a command in a new shell that sources dev-env.sh, as the banner says, from /."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "AWS_"))}
        env["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # no virtualenv: dev-env.sh must add it
        return subprocess.run(
            ["bash", "-c", f". {self.instance / 'dev-env.sh'} && {command}"],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            timeout=180,
        )

    def stop(self) -> None:
        """Ctrl-C, as a person stops it: every process of the group must go."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(60)
        self.reader.join(10)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.killpg(self.process.pid, signal.SIGKILL)
        raise AssertionError("processes of portal dev outlived Ctrl-C")


@pytest.fixture
def dev_stack(tmp_path):
    stacks: list[DevStack] = []
    ports = (_free_port(), _free_port())

    def start() -> DevStack:
        stack = DevStack(tmp_path / "instance", *ports)
        stacks.append(stack)
        return stack

    yield start
    for stack in stacks:
        if stack.process.poll() is None:
            os.killpg(stack.process.pid, signal.SIGKILL)


def _emulator_client(instance: Path):
    settings = dict(
        re.findall(r"^export (AWS_\w+)='?([^'\n]*)'?$", (instance / "dev-env.sh").read_text(), re.M)
    )
    return boto3.client(
        "cognito-idp",
        region_name=settings["AWS_REGION"],
        endpoint_url=settings["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"],
        aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"],
    )


def _sign_in(stack: DevStack, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(stack.url("/login"), timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = session.post(
        stack.url("/login"),
        data={"csrf_token": token, "email": "admin@example.com", "password": password},
        timeout=10,
    )
    assert answer.status_code == 200 and "Sign out" in answer.text, answer.text[:500]
    return session


def test_portal_dev_runs_the_readme_walkthrough_and_keeps_its_state(dev_stack):
    stack = dev_stack()
    password = stack.wait_for_banner()

    steps = [
        (
            "portal tenants create acme --name 'Acme Corp' "
            "--callback-url http://localhost:3000/callback",
            "",
        ),
        (
            f"portal tenants set-idp acme --issuer http://localhost:{stack_idp_port(stack)} "
            "--client-id demo --client-secret-stdin",
            f"{IDP_SECRET}\n",
        ),
        ("portal tenants onboard acme --wait --timeout 120", ""),
    ]
    for command, stdin in steps:
        done = stack.shell(command, stdin)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    done = stack.shell("portal tenants credentials acme --json")
    assert done.returncode == 0, done.stderr
    credentials = json.loads(done.stdout)

    # What the CLI hands over is what the emulator holds.
    client = _emulator_client(stack.instance).describe_user_pool_client(
        UserPoolId=credentials["user_pool_id"], ClientId=credentials["client_id"]
    )["UserPoolClient"]
    assert client["ClientSecret"] == credentials["client_secret"]
    assert client["SupportedIdentityProviders"] == ["acme"]
    assert client["AllowedOAuthScopes"] == ["openid"]
    assert IDP_SECRET not in done.stdout + done.stderr

    # The printed admin login signs in, and the tenant is on the staff pages, ready.
    session = _sign_in(stack, password)
    tenants = session.get(stack.url("/tenants?q=acme"), timeout=10).text
    assert "Acme Corp" in tenants and "ready" in tenants.lower()

    stack.stop()

    # Started again on the same folder: the tenant, its Cognito client and its secret are kept.
    again = dev_stack()
    new_password = again.wait_for_banner()
    assert new_password != password  # a new one is printed at every start
    done = again.shell("portal tenants credentials acme --json")
    assert done.returncode == 0, done.stderr
    kept = json.loads(done.stdout)
    assert (kept["client_id"], kept["client_secret"]) == (
        credentials["client_id"],
        credentials["client_secret"],
    )
    assert json.loads(again.shell("portal tenants show acme --json").stdout)["status"] == "ready"
    again.stop()

    # Everything the stack logged (web, worker, emulator): neither secret, and Ctrl-C is no error.
    logged = "".join(stack.output + again.output)
    assert "a process of the stack exited" not in logged
    assert "cognito DescribeUserPoolClient" in logged or "Cognito emulator" in logged
    assert IDP_SECRET not in logged
    assert credentials["client_secret"] not in logged


def stack_idp_port(stack: DevStack) -> int:
    """The demo IdP's port, read from the banner's set-idp line as a user would copy it."""
    printed = "".join(stack.output)
    return int(re.search(r"--issuer http://localhost:(\d+)", printed).group(1))
