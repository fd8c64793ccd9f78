"""`portal metrics serve` in a child process, scraped like Prometheus would."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.support.environment import ROOT

TOKEN = "metrics-token-for-tests"


class Exporter:
    """`portal metrics serve` in a child process, on a free port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal", "metrics", "serve", "--port", "0"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.port: int | None = None
        found = threading.Event()

        def read() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                match = re.search(r"serving metrics on .*:(\d+)/metrics", line)
                if match:
                    self.port = int(match.group(1))
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60):
            self.stop()
            raise AssertionError("the exporter did not start")

    def get(self, path: str = "/metrics", token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        return urllib.request.urlopen(request, timeout=10)  # noqa: S310 - our own local server

    def scrape(self, token: str = TOKEN) -> dict[tuple[str, tuple], float]:
        text = self.get(token=token).read().decode()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(15)
