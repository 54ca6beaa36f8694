"""The room consumer's receive and dispatch loop: Channels' AsyncConsumer.__call__ with a loop
that parks no task for the channel layer.

Channels' ``await_many_dispatch`` keeps one task per source (the server's receive, the channel
layer's receive), waits on both with ``asyncio.wait`` and re-creates the finished task after
every message: per idle WebSocket two tasks, and per fan-out message, for every receiver, a new
task and an ``asyncio.wait``. Here, on conference.channel_layer (one reader per process), the
channel side is the consumer's inbox: one future that the reader or the server's receive wakes.
What is kept: one message at a time per consumer, in order per source, both sources served in
turn (a flood on one does not starve the other), a channel-layer failure ends the consumer (as
its failed receive did), StopConsumer ends it cleanly. Any other layer: Channels' own loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch

Dispatch = Callable[[dict[str, Any]], Awaitable[None]]


async def serve(consumer: Any, scope: Any, receive: Any, send: Any) -> None:
    """AsyncConsumer.__call__ for an async consumer with a channel layer, on our loop."""
    consumer.scope = scope
    consumer.channel_layer = layer = get_channel_layer(consumer.channel_layer_alias)
    consumer.channel_name = await layer.new_channel()
    consumer.channel_receive = lambda: layer.receive(consumer.channel_name)
    consumer.base_send = send
    try:
        if hasattr(layer, "inbox"):
            await dispatch_loop(receive, layer, consumer.channel_name, consumer.dispatch)
        else:
            await await_many_dispatch([receive, consumer.channel_receive], consumer.dispatch)
    except StopConsumer:
        pass


async def dispatch_loop(receive: Any, layer: Any, channel: str, dispatch: Dispatch) -> None:
    loop = asyncio.get_running_loop()
    inbox = layer.inbox(channel)
    client = asyncio.ensure_future(receive())  # any awaitable (Granian's is not a coroutine)
    wake: asyncio.Future[None] | None = None

    def on_client(_: object) -> None:
        if wake is not None and not wake.done():
            wake.set_result(None)

    try:
        while True:
            if client.done():
                message = client.result()
                client = asyncio.ensure_future(receive())
                await dispatch(message)
            if inbox.messages:
                await dispatch(inbox.messages.pop(0))
                continue
            if client.done():
                continue
            layer.ensure_reader(channel)
            wake = inbox.waiter = loop.create_future()
            client.add_done_callback(on_client)
            try:
                await wake  # the reader's failure raises here: the consumer ends
            finally:
                client.remove_done_callback(on_client)
                inbox.waiter = wake = None
    finally:
        client.cancel()
        try:
            await client
        except asyncio.CancelledError:
            pass
        await layer.release_channel(channel)
