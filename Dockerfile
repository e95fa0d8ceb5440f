# The production image: `storefront serve` on port 8000, as a non-root user.
#   docker build -t storefront .        (or: uv run task image)
# Migrations are not run here: they are a deploy step (see README, "Deploy").
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# uv from PyPI at a pinned version: as reproducible as a registry image, and no
# registry is needed to get it.
ARG UV_VERSION=0.13.9
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# The dependencies first, in a layer of their own that only a lock change rebuilds.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --no-editable --no-install-project
COPY README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 storefront \
    && useradd --system --uid 10001 --gid storefront --home-dir /app --no-create-home storefront
WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY migrations ./migrations
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    SERVER_HOST=0.0.0.0 \
    SERVER_PORT=8000 \
    MIGRATIONS_DIR=/app/migrations
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["storefront", "healthcheck"]
# Exec form: the server is PID 1 and receives SIGTERM itself.
ENTRYPOINT ["storefront"]
CMD ["serve"]
