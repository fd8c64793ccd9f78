"""Real Celery worker processes on the real Redis broker, started with the portal's CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.environment import ROOT
from tests.support.leakscan import LEAK_SCAN


class WorkerProcess:
    """`python -m portal worker` in a child process, its output kept for inspection."""

    def __init__(self, name: str, env: dict[str, str], concurrency: int = 4) -> None:
        self.name = name
        self.output: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "portal",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "-n",
                f"{name}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if " ready." in line:
                self._ready.set()

    def wait_ready(self, timeout: float = 60) -> None:
        if not self._ready.wait(timeout):
            raise AssertionError("worker did not start:\n" + "".join(self.output[-40:]))

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup, no acknowledgement
        self.process.wait(10)
        LEAK_SCAN.log_text.extend(self.output)

    def stop(self) -> None:
        LEAK_SCAN.log_text.extend(self.output)  # the worker's log joins the leak scan
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @property
    def log(self) -> str:
        return "".join(self.output)


@pytest.fixture
def start_worker(app, local_cognito) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(name: str = "w1", concurrency: int = 4, **env_overrides: str) -> WorkerProcess:
        env = dict(os.environ, PYTHONUNBUFFERED="1", **env_overrides)
        worker = WorkerProcess(name, env, concurrency)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def file_broker_app(folder: Path):
    """The portal on the dev stack's file broker and an SQLite database, both in FOLDER."""
    from portal import create_app

    return create_app(
        {"TESTING": True},
        settings={
            "broker_url": f"filesystem://{folder / 'broker'}",
            "database_url": f"sqlite:///{folder / 'portal.db'}",
            "instance_path": folder,
        },
    )
