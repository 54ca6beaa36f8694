"""``manage.py runsfu`` as a real process on real Redis, driven through the channel layer."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import SimpleTestCase

from conference import protocol
from conference.testing import reset_channel_layers
from conference.testing.peers import PatternVideoTrack
from conference.testing.processes import WorkerProcess
from sfu import placement

BASE_DIR = Path(settings.BASE_DIR)


class RunSfuTests(SimpleTestCase):
    def setUp(self) -> None:
        reset_channel_layers()

    def start_worker(self, worker_id: str) -> WorkerProcess:
        worker = WorkerProcess.manage(
            "runsfu",
            "runsfu",
            "--worker-id",
            worker_id,
            env={"SFU_HOST_ADDRESSES": "127.0.0.1", "SFU_HEARTBEAT_SECONDS": "0.5"},
            ready=f"SFU worker {worker_id} ready",
            ready_timeout=30,
        )
        self.addCleanup(worker.stop)
        worker.start().wait_ready()
        return worker

    async def test_join_offer_answer_and_sigterm(self) -> None:
        worker_id = f"test-{os.getpid()}-{int(time.time())}"
        proc = await asyncio.to_thread(self.start_worker, worker_id)
        layer = get_channel_layer()
        reply = await layer.new_channel("sfutest.")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            self.assertTrue(await placement.is_alive(worker_id))
            self.assertIn(worker_id, [w["worker_id"] for w in await placement.live_workers()])
            target = protocol.sfu_channel(worker_id)
            await layer.send(
                target,
                {
                    "type": "sfu.join",
                    "meeting": 1,
                    "room": 1,
                    "meeting_started_at": time.time(),
                    "captions": False,
                    "participant": 5,
                    "name": "Ada",
                    "reply_channel": reply,
                },
            )
            # A bad message first: the worker answers with an error and keeps going.
            await layer.send(target, {"type": "sfu.publish_offer", "participant": 5, "sdp": "nope"})
            error = await asyncio.wait_for(layer.receive(reply), 15)
            self.assertEqual((error["type"], error["code"]), ("sfu.error", "bad-sdp"))

            pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
            pc.addTransceiver(PatternVideoTrack(), direction="sendonly")
            pc.addTransceiver("video", direction="sendonly")
            await pc.setLocalDescription(await pc.createOffer())
            await layer.send(
                target, {"type": "sfu.publish_offer", "participant": 5, "sdp": pc.localDescription.sdp}
            )
            answer = await asyncio.wait_for(layer.receive(reply), 15)
            self.assertEqual(answer["type"], "sfu.publish_answer")
            self.assertIn("127.0.0.1", answer["sdp"])
            await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
            deadline = time.monotonic() + 10
            while pc.connectionState != "connected":
                self.assertLess(time.monotonic(), deadline, "publish PC never connected")
                await asyncio.sleep(0.05)
            deadline = time.monotonic() + 5
            while not any(
                w["worker_id"] == worker_id and w["load"] == 1 for w in await placement.live_workers()
            ):
                self.assertLess(time.monotonic(), deadline, "the heartbeat never showed load 1")
                await asyncio.sleep(0.1)
            self.assertIsNotNone(await placement.choose_worker())

            proc.terminate()
            closed = await asyncio.wait_for(layer.receive(reply), 10)
            self.assertEqual(
                closed,
                {"type": "sfu.closed", "participant": 5, "reason": "server-shutdown", "worker": worker_id},
            )
            code = await asyncio.to_thread(proc.wait, 10)
            self.assertEqual(code, 0, proc.output())
            self.assertFalse(await placement.is_alive(worker_id))
        finally:
            await pc.close()
