#!/usr/bin/env bash
# Install the portal into .venv and run the whole local stack (`portal dev`).
# Needs only Python 3.11+; everything runs on this machine against a local Cognito emulator
# (the `dev` extra brings its libraries and the demo identity provider's).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
# The checkout's own instance folder (instance/dev-env.sh points other terminals at it too).
export PORTAL_INSTANCE_PATH="${PORTAL_INSTANCE_PATH:-$PWD/instance}"
exec .venv/bin/portal dev "$@"
