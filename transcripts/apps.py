from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"

    def ready(self) -> None:
        from rooms.signals import meeting_ended
        from transcripts import services

        # The end of a meeting starts the end of its transcript.
        meeting_ended.connect(services.on_meeting_ended, dispatch_uid="transcripts.meeting_ended")
