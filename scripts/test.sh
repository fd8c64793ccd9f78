#!/usr/bin/env bash
# Install everything the tests need and run them.
#
#   scripts/test.sh --fast [pytest args]   the lane to run while working (about two minutes):
#       ruff, then every test not marked slow or browser, on PostgreSQL and Redis.
#   scripts/test.sh [pytest args]          everything; what CI (.ci/run) runs: ruff, the whole
#       suite on PostgreSQL and Redis, then the tests marked `dialect` again on SQLite.
#
# Both install the Python packages into .venv, PostgreSQL and Redis if they are not running, and
# (full run only) Debian's chromium for the browser tests. Tests run in parallel with
# pytest-xdist; each worker has its own PostgreSQL database and Redis database number
# (tests/support/environment.py). Arguments after the lane go to pytest as they are, so `-n 0`
# runs serially and `-k`, `-x` and paths work as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
log() { printf '\n==> %s\n' "$*" >&2; }
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root for: $*" >&2; return 1; fi
}

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}


FAST=0
if [ "${1:-}" = "--fast" ]; then
    FAST=1
    shift
fi
# PostgreSQL lanes: three xdist workers on two cores (BENCHMARKS.md, "Test lanes"), since many
# tests wait on worker processes, PostgreSQL, leases and timeouts rather than on a CPU; worksteal
# rebalances a suite whose tests take from a millisecond to two minutes. The SQLite lane is short
# and runs serially: there a worker's start-up costs more than it saves.
WORKERS=(-n 3 --dist worksteal)
# The suite starts hundreds of Python processes (xdist workers, portal workers, the CLI): let them
# reuse compiled bytecode (and pytest its rewritten test modules) instead of compiling every time.
unset PYTHONDONTWRITEBYTECODE

log "Python packages"
if [ ! -x .venv/bin/python ]; then "$PYTHON" -m venv .venv; fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

log "system packages"
if command -v apt-get >/dev/null; then
    # The browser tests are slow: the fast lane does without chromium.
    [ "$FAST" = 1 ] || [ -x /usr/bin/chromium ] || apt_install chromium
    command -v pg_isready >/dev/null || apt_install postgresql postgresql-client
    command -v redis-server >/dev/null || apt_install redis-server
fi

log "PostgreSQL on 127.0.0.1:5432"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    version="$(ls /etc/postgresql | sort -n | tail -1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
PGUSER="${PGUSER:-postgres}"
if ! psql -h 127.0.0.1 -U "$PGUSER" -d test -c 'select 1' >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U "$PGUSER" -d postgres -c 'create database test' >/dev/null \
        || as_root su postgres -c "psql -c 'create database test'" >/dev/null
fi
export PORTAL_TEST_PG_URL="${PORTAL_TEST_PG_URL:-postgresql://$PGUSER@127.0.0.1:5432/test}"

log "Redis on 127.0.0.1:6379"
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi

log "ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

# pytest exits 5 when it collected nothing: with `set -e` that fails the run, as it must.
if [ "$FAST" = 1 ]; then
    log "fast lane: tests not marked slow or browser, on PostgreSQL and Redis"
    started=$SECONDS
    PORTAL_TEST_DATABASE=postgresql .venv/bin/python -m pytest "${WORKERS[@]}" \
        -m "not slow and not browser" "$@"
    log "fast lane green in $((SECONDS - started)) s (the full run: scripts/test.sh)"
    exit 0
fi

log "test suite on PostgreSQL and Redis"
started=$SECONDS
PORTAL_TEST_DATABASE=postgresql .venv/bin/python -m pytest "${WORKERS[@]}" "$@"
log "PostgreSQL lane green in $((SECONDS - started)) s"

log "tests whose behaviour depends on the database dialect, again on SQLite"
started=$SECONDS
PORTAL_TEST_DATABASE=sqlite .venv/bin/python -m pytest -m dialect "$@"
log "SQLite lane green in $((SECONDS - started)) s"
log "all green"
