# The portal's image: web (gunicorn), worker, beat and the metrics exporter all run from it.
# Dependencies are pinned by constraints.txt (regenerate with scripts/constraints.py).
# No container engine runs in CI: scripts/replay_dockerfile.py replays these install steps in
# clean virtual environments and tests/ops/test_packaging.py runs the portal from the result.
# Keep RUN paths relative to WORKDIR so that the replay can follow them.

# Build stage: the wheel, from the same folders a checkout has.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY portal ./portal
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN pip wheel --no-deps --wheel-dir dist .

# The image: the production closure and the wheel, nothing of the source tree.
FROM python:3.11-slim-bookworm AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTAL_ENV=production \
    PORTAL_INSTANCE_PATH=/var/lib/portal \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/portal-metrics

# An unprivileged user owns only the two folders the portal writes to.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /home/portal --create-home \
       --shell /usr/sbin/nologin portal \
    && mkdir -p /var/lib/portal /var/lib/portal-metrics \
    && chown portal:portal /var/lib/portal /var/lib/portal-metrics

WORKDIR /app

# Dependencies first (their own layer, rebuilt only when the pins change): the constraints
# file lists the whole production closure with exact versions.
COPY constraints.txt ./
RUN pip install --requirement constraints.txt

# Then the wheel. --no-index: every dependency must already be there, so a closure that
# constraints.txt misses fails the build instead of pulling an unpinned version. pip compiles
# the portal's bytecode while installing (the portal user could not write it later).
COPY --from=build /src/dist ./dist
RUN pip install --no-index --constraint constraints.txt dist/*.whl \
    && rm -rf dist

USER portal
EXPOSE 8000 9464
CMD ["gunicorn", "--config", "python:portal.gunicorn_conf", "--bind", "0.0.0.0:8000", \
     "portal.wsgi:app"]
