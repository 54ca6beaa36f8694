from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"

    def ready(self) -> None:
        # The signaling metrics exist from the first scrape, before any WebSocket arrives.
        from rooms import metrics  # noqa: F401
