import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

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
