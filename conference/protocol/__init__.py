"""Every message shape that crosses a process boundary, written down once, with its builder.

Hops, one module each (all re-exported here: use ``from conference import protocol``):
- ``client``: browser -> room consumer, JSON text frames on /ws/rooms/<slug>/ (``Client*``).
- ``server``: room consumer -> browser (``Server*``), the WebSocket close codes and the
  ``client_config()`` the room page receives.
- ``group``: group events to room_group(room_id) (``Room*``, ``CaptionEvent``), built by
  rooms.services and the transcription workers; ``relay.RELAY`` turns them, and the SFU's
  replies, into browser frames.
- ``sfu``: room consumer <-> SFU worker over the channel layer (``Sfu*``), and the heartbeat
  SFU workers keep in Redis.
- ``transcribe``: SFU worker -> transcription workers (``Transcribe*``).
- ``names``: channel, group and Redis key names; ``common``: shapes used inside messages.

Channel-layer messages carry a ``type`` with a dot; Channels dispatches ``"sfu.answer"`` to a
consumer method ``sfu_answer``. Builders are keyword-only and return the TypedDict of the message.
"""

from conference.protocol.client import *  # noqa: F403
from conference.protocol.common import *  # noqa: F403
from conference.protocol.group import *  # noqa: F403
from conference.protocol.names import *  # noqa: F403
from conference.protocol.relay import CONSUMER_ACTIONS, RELAY  # noqa: F401
from conference.protocol.server import *  # noqa: F403
from conference.protocol.sfu import *  # noqa: F403
from conference.protocol.transcribe import *  # noqa: F403
