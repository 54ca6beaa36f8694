"""A meeting moves to another SFU worker when its worker shuts down (real runsfu processes)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

from aiortc.contrib.media import MediaPlayer
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from conference import protocol
from conference.testing.peers import PatternVideoTrack, wait_for
from conference.testing.processes import WorkerProcess, worker_environment
from rooms.models import ChatMessage, Meeting, Participant, Room
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing
from rooms.tests.ws_peers import WsPeer
from summaries.models import Summary
from transcripts.models import ProcessedFinal, Segment, Transcript
from transcripts.tests.helpers import FIXTURES


class SfuFailoverTestCase(ConsumerTestCase):
    def start_worker(self, worker_id: str) -> WorkerProcess:
        w = WorkerProcess.manage(
            worker_id,
            "runsfu",
            "--worker-id",
            worker_id,
            env={"SFU_HOST_ADDRESSES": "127.0.0.1", "SFU_HEARTBEAT_SECONDS": "0.5"},
            ready=rf"SFU worker {worker_id} ready",
        ).start()
        self.addCleanup(w.stop)
        w.wait_ready(30)
        return w

    async def meeting_worker(self, meeting_id: int, expected: str = "") -> str:
        """The meeting's worker, once it is ``expected`` (or any, when not given)."""
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            worker = (await Meeting.objects.aget(pk=meeting_id)).sfu_worker
            if (
                worker == expected
                or (worker and not expected)
                or asyncio.get_running_loop().time() > deadline
            ):
                return worker
            await asyncio.sleep(0.05)

    @closing
    async def test_sigterm_moves_meeting_to_another_worker(self) -> None:
        suffix = f"{os.getpid()}"
        a = await asyncio.to_thread(self.start_worker, f"fa-{suffix}")
        alice, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
        self.assertEqual((joined["media"], joined["media_message"]), (True, ""))
        meeting_id = (await Meeting.objects.aget(participants__id=joined["participant"]["id"])).id
        self.assertEqual(await self.meeting_worker(meeting_id), f"fa-{suffix}")
        # A second participant lands on the same worker, whatever the load.
        bob, _ = await self.joined(await database_sync_to_async(self.cookie_for)(self.bob))
        await asyncio.to_thread(self.start_worker, f"fb-{suffix}")
        self.assertEqual(await self.meeting_worker(meeting_id), f"fa-{suffix}")

        await asyncio.to_thread(a.stop)
        for c in (alice, bob):
            restart = await self.receive_type(c, "media-restart")
            self.assertIn("restarting", restart["message"])
        self.assertEqual(await self.meeting_worker(meeting_id, f"fb-{suffix}"), f"fb-{suffix}")
        # Still in the same meeting, and signaling still works.
        await alice.send_to(text_data=json.dumps({"type": "chat", "text": "still here"}))
        self.assertEqual((await self.receive_type(bob, "chat"))["message"]["text"], "still here")
        self.assertIsNone((await Meeting.objects.aget(pk=meeting_id)).ended_at)

    @closing
    async def test_no_live_worker_means_chat_only(self) -> None:
        c: WebsocketCommunicator
        c, joined = await self.joined(await database_sync_to_async(self.cookie_for)(self.alice))
        # Placement comes before `joined`, which says there is no media (no media-unavailable after it).
        self.assertFalse(joined["media"])
        self.assertIn("chat works", joined["media_message"])
        await c.send_to(text_data=json.dumps({"type": "publish-offer", "sdp": "v=0\r\n"}))
        self.assertEqual((await self.receive_type(c, "error"))["code"], "media-unavailable")
        # Nothing contradicted `joined` meanwhile: the next frame answers the next message.
        await c.send_to(text_data=json.dumps({"type": "chat", "text": "chat works"}))
        self.assertEqual(json.loads(await c.receive_from(timeout=TIMEOUT))["type"], "chat")


def padded_wav(source: Path, target: Path, before: float = 1.0, after: float = 2.0) -> None:
    """Silence around the speech: each loop of the file is one utterance (one final)."""
    with wave.open(str(source), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    silence = b"\0" * params.sampwidth * params.nchannels
    with wave.open(str(target), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(
            silence * int(before * params.framerate) + frames + silence * int(after * params.framerate)
        )


class WorkerDeathTestCase(ConsumerTestCase):
    """SIGKILL of the worker carrying a live meeting: the same meeting goes on on another worker."""

    def start_process(self, name: str, args: list[str], ready: str, timeout: float = 60) -> WorkerProcess:
        env = {
            **worker_environment(),  # the test database: the transcriber stores segments
            "SFU_HOST_ADDRESSES": "127.0.0.1",
            "SFU_HEARTBEAT_SECONDS": "0.5",
            "SFU_WORKER_TTL_SECONDS": "2",
        }
        w = WorkerProcess.manage(name, *args, env=env, ready=ready).start()
        self.processes = [*getattr(self, "processes", []), w]
        self.addCleanup(w.stop)
        w.wait_ready(timeout)
        return w

    async def wait(self, check: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not await check():
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {w.name}:\n{w.tail(30)}" for w in getattr(self, "processes", []))
                raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
            await asyncio.sleep(0.1)

    async def close_all(self) -> None:
        for peer in getattr(self, "peers", []):
            await peer.close()
        await super().close_all()

    @closing
    async def test_sigkill_moves_the_same_meeting_to_another_worker(self) -> None:
        suffix = f"{os.getpid()}"
        tmp = Path(tempfile.mkdtemp(prefix="failover-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        wav = tmp / "speech.wav"
        padded_wav(FIXTURES / "speech1.wav", wav)
        players: list[MediaPlayer] = []

        def speech() -> Any:
            """A new player per peer connection, as a page asks for its microphone again."""
            players.append(MediaPlayer(str(wav), loop=True))
            return players[-1].audio

        self.addCleanup(lambda: [p.audio.stop() for p in players if p.audio])

        await asyncio.to_thread(self.start_process, "transcriber", ["runtranscriber"], r"transcriber ready")
        a = await asyncio.to_thread(
            self.start_process, f"ka-{suffix}", ["runsfu", "--worker-id", f"ka-{suffix}"], r"ready"
        )
        alice = WsPeer(
            self.communicator(await database_sync_to_async(self.cookie_for)(self.alice)),
            audio=speech,
            video=lambda: PatternVideoTrack(160, 120, fps=15),
        )
        bob = WsPeer(
            self.communicator(await database_sync_to_async(self.cookie_for)(self.bob)),
            video=lambda: PatternVideoTrack(160, 120, fps=15),
        )
        for peer in (alice, bob):
            connected, _ = await peer.ws.connect(timeout=TIMEOUT)
            self.assertTrue(connected)
        self.peers = [alice, bob]
        await alice.join()
        await bob.join()
        meeting = await Meeting.objects.aget(participants__id=alice.participant)
        self.assertEqual(meeting.sfu_worker, f"ka-{suffix}")
        b = await asyncio.to_thread(
            self.start_process, f"kb-{suffix}", ["runsfu", "--worker-id", f"kb-{suffix}"], r"ready"
        )
        await wait_for(lambda: bob.frames(alice.participant, "video") >= 10, 30, "Alice's video at Bob")
        await wait_for(lambda: alice.frames(bob.participant, "video") >= 10, 30, "Bob's video at Alice")
        await alice.chat("said before the crash")
        await wait_for(lambda: len(bob.received("chat")) == 1, TIMEOUT, "chat before the crash")

        async def final_from(worker: str) -> bool:
            return await ProcessedFinal.objects.filter(transcript__meeting=meeting, source=worker).aexists()

        await self.wait(lambda: final_from(f"ka-{suffix}"), 60, "a final caption through the first worker")

        killed_at = time.monotonic()
        await asyncio.to_thread(a.kill)  # SIGKILL: no goodbye, no flush; its heartbeat expires
        for peer in (alice, bob):
            await wait_for(lambda p=peer: p.generation == 2, 20, "a media restart after SIGKILL")
        await wait_for(lambda: bob.frames(alice.participant, "video") >= 10, 30, "Alice's video again")
        await wait_for(lambda: alice.frames(bob.participant, "video") >= 10, 30, "Bob's video again")
        await wait_for(lambda: bob.frames(alice.participant, "audio") >= 50, 30, "Alice's audio again")
        print(f"\nmedia flowing again {time.monotonic() - killed_at:.1f} s after SIGKILL", file=sys.stderr)

        # The same meeting, on the other worker, with the same two participants and its chat.
        meeting = await Meeting.objects.aget(pk=meeting.pk)
        self.assertEqual((meeting.sfu_worker, meeting.ended_at), (f"kb-{suffix}", None))
        self.assertEqual(await Meeting.objects.filter(room=self.room).acount(), 1)
        present = [p.id async for p in Participant.objects.filter(meeting=meeting, left_at__isnull=True)]
        self.assertEqual(sorted(present), sorted([alice.participant, bob.participant]))
        self.assertEqual(await Participant.objects.filter(meeting=meeting).acount(), 2)
        await bob.chat("said after the crash")
        await wait_for(lambda: len(alice.received("chat")) == 2, TIMEOUT, "chat after the crash")
        texts = [m.text async for m in ChatMessage.objects.filter(meeting=meeting).order_by("id")]
        self.assertEqual(texts, ["said before the crash", "said after the crash"])
        # A newcomer is shown the whole history.
        self.room.access = Room.Access.LINK
        await self.room.asave(update_fields=["access"])
        guest = WsPeer(self.communicator(await database_sync_to_async(self.guest_cookie)(self.room, "Gus")))
        connected, _ = await guest.ws.connect(timeout=TIMEOUT)
        self.assertTrue(connected)
        self.peers.append(guest)
        joined = await guest.join()
        self.assertEqual([m["text"] for m in joined["chat"]], texts)
        self.assertEqual(sorted(p["id"] for p in joined["participants"]), sorted(present))

        # Captions go on through the new worker; everyone leaves; one transcript completes.
        await self.wait(lambda: final_from(f"kb-{suffix}"), 60, "a final caption through the new worker")
        for peer in (guest, alice, bob):
            await peer.ws.send_to(text_data=json.dumps(protocol.client_leave()))
            await peer.close()

        async def complete() -> bool:
            t = await Transcript.objects.filter(meeting=meeting).afirst()
            return t is not None and t.status == Transcript.Status.COMPLETE

        await self.wait(complete, 60, "the transcript to complete")
        self.assertEqual(await Meeting.objects.filter(room=self.room).acount(), 1)
        self.assertIsNotNone((await Meeting.objects.aget(pk=meeting.pk)).ended_at)
        self.assertEqual(await Transcript.objects.filter(meeting__room=self.room).acount(), 1)
        transcript = await Transcript.objects.aget(meeting=meeting)
        self.assertEqual(transcript.finals_source, f"kb-{suffix}")
        self.assertGreaterEqual(await Segment.objects.filter(transcript=transcript).acount(), 2)
        self.assertEqual(await Summary.objects.filter(meeting__room=self.room).acount(), 1)  # queued once
        self.assertTrue(b.running, "the second worker kept running")
