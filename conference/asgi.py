import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
# Set up Django (apps, models) before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.websocket_auth import WebsocketAuthMiddleware  # noqa: E402
from conference import daphne_hooks  # noqa: E402
from rooms.routing import websocket_urlpatterns  # noqa: E402

daphne_hooks.install()  # the server imports this module before it accepts connections

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # One flat middleware; the consumer loads the user with its room (accounts.websocket_auth).
        "websocket": AllowedHostsOriginValidator(WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
