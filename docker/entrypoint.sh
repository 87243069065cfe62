#!/bin/sh
# One image, three roles. `web` applies migrations before serving (a migration that fails stops
# the deploy before traffic reaches new code); worker and beat never migrate. Where several web
# processes start at once (Kubernetes: deploy/kubernetes/), a Job migrates instead and web is
# started with KEEL_MIGRATE_ON_START=false, so two migrations never race.
set -e

case "${1:-web}" in
  web)
    if [ "${KEEL_MIGRATE_ON_START:-true}" = "true" ]; then
      python manage.py migrate --noinput
    fi
    # uvicorn's supervisor restarts a worker that misses its ping for 5 s by default, cutting
    # every SSE stream the worker holds; a worker busy with a burst of sends misses it on a
    # loaded machine (bench/ttft.py saw it at 50 streams on 2 cores). 30 s still finds a hung one.
    exec uvicorn product.asgi:application \
      --host 0.0.0.0 --port "${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-2}" \
      --timeout-worker-healthcheck "${WEB_WORKER_HEALTHCHECK_TIMEOUT_S:-30}" \
      --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-*}" \
      --no-server-header
    ;;
  worker)
    # Model calls are I/O bound: a thread pool runs many at once (see docs/architecture.md).
    exec celery -A worker worker -Q llm,default -P threads \
      -c "${WORKER_CONCURRENCY:-100}" --loglevel "${LOG_LEVEL:-INFO}"
    ;;
  knowledge-worker)
    # Document ingestion is CPU work (parsing): processes, not threads, on a queue of its own.
    exec celery -A worker worker -Q knowledge -P prefork \
      -c "${KNOWLEDGE_WORKER_CONCURRENCY:-2}" --loglevel "${LOG_LEVEL:-INFO}"
    ;;
  beat)
    exec celery -A worker beat --loglevel "${LOG_LEVEL:-INFO}" \
      --schedule /app/var/celerybeat-schedule
    ;;
  manage)
    shift
    exec python manage.py "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
