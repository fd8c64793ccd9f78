"""The long fault runs: N SIGKILL trials (default 100), then the other fault tests once.

    .venv/bin/python bench/faults.py [--trials 100]

Runs the same code as tests/reliability (the CI variant runs 3 trials) through pytest, against
PostgreSQL (database `test_faults`, created if missing) and Redis database 12.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--bulk",
        type=int,
        default=50,
        help="Tenants in the bulk onboarding during which Redis restarts.",
    )
    args = parser.parse_args()
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname='test_faults'").fetchone():
            conn.execute("CREATE DATABASE test_faults")
    env = dict(
        os.environ,
        PORTAL_TEST_PG_URL="postgresql://postgres@127.0.0.1:5432/test_faults",
        PORTAL_TEST_REDIS_URL="redis://127.0.0.1:6379/12",
        PORTAL_FAULT_TRIALS=str(args.trials),
        PORTAL_FAULT_SEED=str(args.seed),
        PORTAL_FAULT_BULK=str(args.bulk),
    )
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/reliability",
            "-s",
            "-q",
            "-p",
            "no:warnings",
            "-p",
            "no:cacheprovider",
            "--timeout",
            str(max(600, args.trials * 60)),
        ],
        cwd=ROOT,
        env=env,
    )


if __name__ == "__main__":
    sys.exit(main())
