# The portal's image: web (gunicorn), worker, beat and the metrics exporter all run from it.
# Dependencies are pinned by constraints.txt (regenerate with scripts/constraints.py).
FROM python:3.11-slim-bookworm

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
# file lists the full closure of runtime dependencies with exact versions.
COPY constraints.txt ./
RUN pip install --requirement constraints.txt

# Then the portal itself, editable so templates/, static/ and migrations/ are found beside it.
COPY pyproject.toml README.md ./
COPY portal ./portal
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN pip install --no-deps --constraint constraints.txt --editable . \
    && python -m compileall -q portal workers

USER portal
EXPOSE 8000 9464
CMD ["gunicorn", "--config", "python:portal.gunicorn_conf", "--bind", "0.0.0.0:8000", \
     "portal.wsgi:app"]
