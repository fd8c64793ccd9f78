"""Static analysis: bandit finds nothing of medium or high severity (low ones: RELIABILITY.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.environment import ROOT

pytestmark = [pytest.mark.slow]


def test_bandit_finds_no_medium_or_high_issue():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "portal", "workers", "-ll", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{r['test_id']} {r['filename']}:{r['line_number']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == []
    assert report["metrics"]["_totals"]["loc"] > 5000  # it did read the code
