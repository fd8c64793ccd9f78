#!/usr/bin/env bash
# Install everything the tests need and run the whole suite.
#   - Python packages into .venv (the portal and its test extras)
#   - Debian's chromium for the browser tests, PostgreSQL and Redis if they are not running
# Then: ruff, the suite on PostgreSQL + Redis, and the database-bound tests again on SQLite.
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

log "Python packages"
if [ ! -x .venv/bin/python ]; then "$PYTHON" -m venv .venv; fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

log "system packages"
if command -v apt-get >/dev/null; then
    [ -x /usr/bin/chromium ] || apt_install chromium
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
log "test suite on PostgreSQL and Redis"
PORTAL_TEST_DATABASE=postgresql .venv/bin/python -m pytest "$@"

log "database-bound tests again on SQLite"
PORTAL_TEST_DATABASE=sqlite .venv/bin/python -m pytest -m "not browser" \
    tests/engine tests/cli tests/workers tests/audit "$@"
log "all green"
