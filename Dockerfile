# One image for every Python process of stocks-elt: lister, fetcher, loader, transformer (with
# the dbt project), the Polygon simulator and the `stocks-elt` CLI (compose's init job).
# docker-compose.yml picks the process with `command:`; the commands are the ones the native
# launcher runs (services/cli/processes.py), which tests/unit/deploy checks.
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false

WORKDIR /app

# Dependency layer: rebuilt only when pyproject.toml changes, not on every code change. The
# pinned runtime dependencies are read from pyproject.toml itself (no second list to keep in
# step), then installed from wheels; the project's own code comes later.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code, then the project itself without dependencies (they are above): this gives the
# `stocks-elt` console script and the package data (SQL migrations). Services run from /app, so
# `faststream run services.<name>.app:app` and dbt's `--project-dir dbt` resolve here.
COPY README.md ./
COPY shared/ shared/
COPY services/ services/
COPY deploy/ deploy/
COPY dbt/ dbt/
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info

# Code stays owned by root and read-only for the process; dbt writes its target and logs to a
# temporary directory (services/transformer/dbt_runner.py), never into /app.
RUN useradd --create-home --uid 10001 --user-group app
# Numeric, so that Kubernetes' runAsNonRoot and the host can check it without /etc/passwd.
USER 10001:10001

# No secret is baked in: every setting comes from the environment (see .env.example).
CMD ["stocks-elt", "--help"]
