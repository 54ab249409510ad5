# syntax=docker/dockerfile:1.7
# certreg: one image for every service. The command chooses what runs:
#   docker run IMAGE                      -> the gateway (default CMD)
#   docker run IMAGE serve filings        -> one service
#   docker run IMAGE migrate filings      -> the migrations of one service (run before serving)
# See deploy/README.md.

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------
# Build stage: uv (from PyPI) installs the locked workspace into /app/.venv.
# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# 1. Third-party dependencies only, from the lock file: this layer changes when uv.lock
#    does, not at every code change. Every workspace member's pyproject.toml is needed
#    to resolve the workspace (tests/deploy checks that none is missing here).
COPY pyproject.toml uv.lock ./
COPY libs/contracts/pyproject.toml libs/contracts/pyproject.toml
COPY libs/reference/pyproject.toml libs/reference/pyproject.toml
COPY libs/runtime/pyproject.toml libs/runtime/pyproject.toml
COPY libs/testing/pyproject.toml libs/testing/pyproject.toml
COPY services/identity/pyproject.toml services/identity/pyproject.toml
COPY services/entities/pyproject.toml services/entities/pyproject.toml
COPY services/filings/pyproject.toml services/filings/pyproject.toml
COPY services/review/pyproject.toml services/review/pyproject.toml
COPY services/notifier/pyproject.toml services/notifier/pyproject.toml
COPY services/gateway/pyproject.toml services/gateway/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package certreg --no-install-workspace

# 2. The workspace itself (certreg, the libraries and the services; certreg's own
#    dependencies only, so the dev-only certreg-testing never reaches the image).
COPY src ./src
COPY libs ./libs
COPY services ./services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package certreg \
 && python -m compileall -q src libs services

# ---------------------------------------------------------------------------------------
# Final stage: the venv and the sources, nothing to build with, a non-root user.
# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="certreg" \
      org.opencontainers.image.description="Registration of professional certifications in the RNCP and the RS"

RUN groupadd --system --gid 10001 certreg \
 && useradd --system --uid 10001 --gid certreg --home-dir /app --no-create-home --shell /usr/sbin/nologin certreg

WORKDIR /app
COPY --from=build --chown=root:root /app /app

# The data dir only holds the embedded mode's files; in containers it lives in /tmp so
# that the root filesystem can be read-only (Kubernetes mounts an emptyDir there).
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CERTREG_DATA_DIR=/tmp/certreg

USER 10001:10001
EXPOSE 8000

# Liveness only (the process answers); readiness (/readyz: database, broker, storage)
# is for the orchestrator to check. Assumes the default port 8000.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["certreg"]
CMD ["serve", "gateway"]
