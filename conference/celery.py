import os
import sys
import tempfile

from celery import Celery, signals

from conference import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

# A worker's tasks run in pool processes, its /metrics in the main one: prometheus-client's
# multiprocess mode adds the pool's figures up. It must be chosen before prometheus_client is
# first imported, hence here, where a `celery worker` starts (README "Observability").
if (
    logs.process_kind() == "celery"
    and "worker" in sys.argv
    and os.getenv("CELERY_METRICS_PORT", "0") not in ("", "0")
    and "prometheus_client" not in sys.modules
):
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="celery-metrics-"))

app = Celery("conference")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def housekeeping(sender: Celery, **kwargs: object) -> None:
    """Periodic jobs, run by `celery beat` (or a worker started with -B, as deploy/run.py does)."""
    from django.conf import settings

    sender.add_periodic_task(
        settings.TRANSCRIPT_HOUSEKEEPING_SECONDS,
        sender.signature("transcripts.tasks.complete_stuck_transcripts"),
        name="complete stuck transcripts",
    )
    sender.add_periodic_task(
        settings.PRESENCE_REAP_SECONDS,
        sender.signature("rooms.tasks.reap_absent_participants"),
        name="end participants whose connection is gone",
    )
    sender.add_periodic_task(
        settings.SUMMARY_RETRY_SECONDS,
        sender.signature("summaries.tasks.redo_deferred_summaries"),
        name="redo summaries made while the model was out",
    )
    sender.add_periodic_task(
        settings.RETENTION_SECONDS,
        sender.signature("dashboard.tasks.apply_retention"),
        name="delete records older than each organization's retention policy",
    )


@signals.setup_logging.connect
def use_django_logging(loglevel: object = None, **kwargs: object) -> None:
    """Celery logs through settings.LOGGING like every other process (plain, or JSON by LOG_FORMAT)."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.worker_init.connect
def serve_metrics(**kwargs: object) -> None:
    """/metrics, /healthz and /readyz of the worker on CELERY_METRICS_PORT (0: none)."""
    from django.conf import settings

    if not settings.CELERY_METRICS_PORT:
        return
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    from conference import health
    from conference.metrics_server import start_metrics_server

    registry = REGISTRY  # prometheus_client was imported before we could choose: this process only
    if os.getenv("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)

    broker = settings.CELERY_BROKER_URL

    def check_broker() -> str | None:
        return health.redis_ping(broker, settings.HEALTH_CHECK_TIMEOUT)

    start_metrics_server(
        settings.CELERY_METRICS_PORT,
        checks={"broker": check_broker, "database": health.check_database},
        registry=registry,
    )
