"""The channel layer of every process: channels-redis, with one reader per process for its
specific channels.

channels-redis 4.3 already gets one Redis message per process for a group send (the process's
channel names ride in it). But each *waiting* ``receive`` of a specific channel (``…!id``, one
per consumer) parks two tasks (the process's receive lock and its own asyncio.Queue's get) and
each delivery cancels and re-creates them, for every consumer: ~2.5 kB per idle WebSocket and a
per-receiver cost in every fan-out (docs/signaling.md).

Here one reader task per process and event loop pops the process's Redis list (the same
``receive_single``: Redis, the backup queue and its cleanup are channels-redis's own) and hands
each message to the inbox of each local channel it names. A waiting ``receive`` is one future on
its inbox, no task. What is kept:
- per channel, messages in the order they were popped (one reader, appended in order);
- the same per-channel ``capacity``: an inbox over it drops its oldest message, as
  channels-redis's BoundedQueue does;
- a message for a channel nobody here receives any more is dropped (channels-redis kept it in
  a buffer that nobody read);
- a failed Redis read fails every waiting receive with its error, as the consumer holding
  channels-redis's receive lock did (rooms.consumers: the consumer ends, the page resumes),
  and the next receive starts a new reader; a read that only timed out is tried again first
  (up to READ_TIMEOUTS_TOLERATED in a row: Redis is there, the machine is slow);
- general channels (no ``!``: the SFU workers' and transcribers') are received as before.
The reader stops when the last inbox goes (cancelling a Redis read loses nothing: the message
stays in channels-redis's backup queue and is put back by the next read).
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.exceptions
from channels_redis.core import RedisChannelLayer

# Reads slower than the socket timeout in a row that the reader lets pass before it fails every
# waiting receive: on an overloaded machine one late answer would otherwise end every consumer
# of the process at once (seen at load 20 with 7,000 sockets a web: bench/signaling.py).
READ_TIMEOUTS_TOLERATED = 3


class Inbox:
    """The messages of one local channel not yet received, and its waiting receive."""

    __slots__ = ("messages", "waiter")

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []  # a list, not a deque: usually empty (56 B)
        self.waiter: asyncio.Future[None] | None = None

    def wake(self, error: BaseException | None = None) -> None:
        if self.waiter is not None and not self.waiter.done():
            if error is None:
                self.waiter.set_result(None)
            else:
                self.waiter.set_exception(error)


class LocalReceiveRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inboxes: dict[str, Inbox] = {}
        self.reader: asyncio.Task[None] | None = None
        self.reader_loop: asyncio.AbstractEventLoop | None = None

    def on_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self.reader_loop is not loop:
            # A new event loop (tests run one per test): what the old one held is gone with it.
            self.inboxes, self.reader, self.reader_loop = {}, None, loop
        return loop

    async def new_channel(self, prefix: str = "specific") -> str:
        """A local channel has its inbox from birth: a message sent to it before its first
        receive waits there."""
        name = await super().new_channel(prefix)
        self.on_loop()
        self.inboxes[name] = Inbox()
        return name

    def inbox(self, channel: str) -> Inbox:
        """The inbox of a local channel (made if missing), for a consumer's own loop
        (rooms.consumer_loop): it waits on ``Inbox.waiter`` itself, with no receive task."""
        self.on_loop()
        inbox = self.inboxes.get(channel)
        if inbox is None:
            inbox = self.inboxes[channel] = Inbox()
        return inbox

    def ensure_reader(self, channel: str) -> None:
        if self.reader is None or self.reader.done():  # the first wait, or after a failure
            self.reader = asyncio.get_running_loop().create_task(self.read(self.non_local_name(channel)))

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" not in channel:
            return await super().receive(channel)
        assert self.require_valid_channel_name(channel)
        assert self.non_local_name(channel).endswith(self.client_prefix + "!"), "Wrong client prefix"
        inbox = self.inbox(channel)
        while not inbox.messages:
            self.ensure_reader(channel)
            inbox.waiter = asyncio.get_running_loop().create_future()
            try:
                await inbox.waiter
            except asyncio.CancelledError:
                # The consumer ended (Channels cancels its receive): nobody reads this channel.
                await self.release_channel(channel)
                raise
            finally:
                inbox.waiter = None
        return inbox.messages.pop(0)

    def forget_channel(self, channel: str) -> asyncio.Task[None] | None:
        """Drop a local channel's inbox (its consumer ended); the reader stops with the last
        (returned, cancelled)."""
        self.inboxes.pop(channel, None)
        reader = None
        if not self.inboxes and self.reader is not None:
            reader, self.reader = self.reader, None
            reader.cancel()
        return reader

    async def release_channel(self, channel: str) -> None:
        """forget_channel, and wait (bounded) for a stopped reader to unwind its Redis read
        while the consumer still runs, as channels-redis's receive did in the consumer's task
        (not later, among the tasks a closing event loop cancels)."""
        reader = self.forget_channel(channel)
        if reader is not None:
            await asyncio.wait({reader}, timeout=5)

    async def read(self, process_channel: str) -> None:
        """The one reader of this process's specific channels, while any inbox is open."""
        timeouts = 0
        try:
            while self.inboxes:
                try:
                    names, message = await self.receive_single(process_channel)
                except redis.exceptions.TimeoutError:
                    timeouts += 1  # late, not gone: read again (a few times)
                    if timeouts > READ_TIMEOUTS_TOLERATED:
                        raise
                    continue
                timeouts = 0
                for name in names if isinstance(names, list) else (names,):
                    inbox = self.inboxes.get(name)
                    if inbox is None:
                        continue
                    if len(inbox.messages) >= self.get_capacity(name):
                        del inbox.messages[0]  # its consumer stopped reading; bounded
                    inbox.messages.append(message)
                    inbox.wake()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            for inbox in list(self.inboxes.values()):
                inbox.wake(error)
