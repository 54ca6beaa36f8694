from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "summaries"

    def ready(self) -> None:
        from summaries import services
        from transcripts.signals import transcript_completed

        # A complete transcript queues the meeting's summary.
        transcript_completed.connect(services.on_transcript_completed, dispatch_uid="summaries.queue")
