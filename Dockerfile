# syntax=docker/dockerfile:1
# One image for every Python process of stocks-elt: lister, fetcher, loader, transformer (with
# the dbt project), the Polygon simulator and the `stocks-elt` CLI (compose's init job).
# docker-compose.yml picks the process with `command:`; the commands are the ones the native
# launcher runs (services/cli/processes.py), which tests/unit/deploy checks.

# --- build: a virtualenv with the locked dependencies and the project ---------------------------
FROM python:3.11.13-slim-bookworm AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

WORKDIR /src
RUN python -m venv /opt/venv

# Dependency layer: rebuilt only when the lock changes, not on every code change. The lock
# (scripts/lock) pins every package with its hashes, so two builds a week apart install the
# same files; the cache mount keeps downloads between builds without putting them in a layer.
COPY requirements.lock ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --require-hashes -r requirements.lock

# The project itself, without dependencies (they are above) and with the locked build backend:
# this gives the `stocks-elt` console script and the package data (SQL migrations).
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY services/ services/
COPY deploy/ deploy/
RUN pip install --no-cache-dir --no-deps --no-build-isolation .

# --- runtime: the virtualenv and the dbt project, nothing of the build ------------------------
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false

COPY --from=build /opt/venv /opt/venv

# Services run from /app: `faststream run services.<name>.app:app` imports the installed
# packages, and the transformer's `--project-dir dbt` resolves here.
WORKDIR /app
COPY dbt/ dbt/

# Code stays owned by root and read-only for the process. The transformer's own dbt runs write
# to a temporary directory (services/transformer/dbt_runner.py); dbt's default target and log
# paths belong to the user, so `dbt docs generate --project-dir dbt --profiles-dir dbt` by hand
# (`docker compose exec transformer ...`) works too.
RUN useradd --create-home --uid 10001 --user-group app \
    && mkdir -p dbt/target dbt/logs \
    && chown 10001:10001 dbt/target dbt/logs
# Numeric, so that Kubernetes' runAsNonRoot and the host can check it without /etc/passwd.
USER 10001:10001

# No secret is baked in: every setting comes from the environment (see .env.example).
CMD ["stocks-elt", "--help"]
