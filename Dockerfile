# Keel's one image: web (uvicorn, ASGI), worker and beat (Celery) run from it with different commands.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH="/app/.venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=product.settings \
    KEEL_VAR_DIR=/app/var

COPY --from=ghcr.io/astral-sh/uv:0.8 /uv /uvx /bin/

WORKDIR /app

# Dependencies first (cached until pyproject.toml or uv.lock change), without dev tools.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .

# Static files are collected at build time. Settings refuse to load without production variables,
# so the build passes harmless placeholders that exist only in this one command.
RUN SECRET_KEY=build-only-placeholder-not-a-secret-0123456789abcdefghijklmnop \
    ALLOWED_HOSTS=build.invalid EMAIL_URL=consolemail:// \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
    && rm -f /tmp/build.sqlite3

# Run as an unprivileged user that owns only what it must write (var/: SQLite, broker, outbox).
# Its ids are fixed at 999 (the highest free system id, what --system picks on this base) so
# Kubernetes can check runAsNonRoot against a number (deploy/kubernetes/) and volumes keep their owner.
RUN groupadd --system --gid 999 keel && useradd --system --uid 999 --gid keel --home /app keel \
    && mkdir -p /app/var && chown -R keel:keel /app/var
USER keel

EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
