"""A real meeting (signaling here, runsfu and runtranscriber as processes, aiortc peers): its logs
trace one join by its ids across the processes and hold no secrets; its metrics move."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from aiortc.contrib.media import MediaPlayer
from channels.db import database_sync_to_async

from conference import protocol
from conference.testing.observe import Capture, json_lines, parse, scrape, value
from conference.testing.peers import PatternVideoTrack, wait_for
from conference.testing.processes import WorkerProcess, worker_environment
from rooms.models import Meeting
from rooms.tests.test_consumer import TIMEOUT, ConsumerTestCase, closing
from rooms.tests.test_sfu_failover import padded_wav
from rooms.tests.ws_peers import WsPeer
from transcripts.models import ProcessedFinal
from transcripts.tests.helpers import FIXTURES

CHAT = "the quarterly numbers stay between us"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ObservedMeetingTestCase(ConsumerTestCase):
    def start_process(self, name: str, args: list[str], env: dict[str, str], ready: str) -> WorkerProcess:
        env = {
            **worker_environment(),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "DEBUG",  # the secrets grep covers every line our code may write
            "SFU_HOST_ADDRESSES": "127.0.0.1",
            **env,
        }
        w = WorkerProcess.manage(name, *args, env=env, ready=ready).start()
        self.addCleanup(w.stop)
        w.wait_ready(90)
        return w

    def web_metrics(self) -> dict[Any, float]:
        return parse(self.client.get("/metrics").content.decode())

    async def close_all(self) -> None:
        for peer in getattr(self, "peers", []):
            await peer.close()
        await super().close_all()

    @closing
    async def test_a_meeting_is_traced_scrubbed_and_counted(self) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="observe-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        wav = tmp / "speech.wav"
        padded_wav(FIXTURES / "speech1.wav", wav)
        players: list[MediaPlayer] = []

        def speech() -> Any:
            players.append(MediaPlayer(str(wav), loop=True))
            return players[-1].audio

        self.addCleanup(lambda: [p.audio.stop() for p in players if p.audio])
        worker_id = f"obs-{os.getpid()}"
        sfu_port, tr_port = free_port(), free_port()
        transcriber = await asyncio.to_thread(
            self.start_process,
            "transcriber",
            ["runtranscriber"],
            {"TRANSCRIBER_METRICS_PORT": str(tr_port)},
            "Transcriber ready",
        )
        sfu = await asyncio.to_thread(
            self.start_process,
            worker_id,
            ["runsfu", "--worker-id", worker_id],
            {"SFU_METRICS_PORT": str(sfu_port)},
            r"SFU worker \S+ ready",
        )
        sfu_url, tr_url = f"http://127.0.0.1:{sfu_port}/metrics", f"http://127.0.0.1:{tr_port}/metrics"
        web_before = await database_sync_to_async(self.web_metrics)()

        with Capture(kind="web", level=logging.INFO) as web_log:
            alice_cookie = await database_sync_to_async(self.cookie_for)(self.alice)
            bob_cookie = await database_sync_to_async(self.cookie_for)(self.bob)
            alice = WsPeer(
                self.communicator(alice_cookie), audio=speech, video=lambda: PatternVideoTrack(160, 120, 15)
            )
            bob = WsPeer(self.communicator(bob_cookie), video=lambda: PatternVideoTrack(160, 120, 15))
            self.peers = [alice, bob]
            for peer in (alice, bob):
                connected, _ = await peer.ws.connect(timeout=TIMEOUT)
                self.assertTrue(connected)
                await peer.join()
            meeting = await Meeting.objects.aget(participants__id=alice.participant)
            self.assertEqual(meeting.sfu_worker, worker_id)
            await wait_for(lambda: bob.frames(alice.participant, "video") >= 10, 30, "Alice's video at Bob")
            await wait_for(lambda: alice.frames(bob.participant, "video") >= 10, 30, "Bob's video at Alice")
            await alice.chat(CHAT)
            await wait_for(lambda: len(bob.received("chat")) == 1, TIMEOUT, "the chat message")
            await alice.ws.send_to(text_data=json.dumps({"type": "no-such-type"}))
            await wait_for(lambda: bool(alice.received("error")), TIMEOUT, "the error frame")

            # During the meeting: the SFU's figures move between two scrapes.
            first = await asyncio.to_thread(scrape, sfu_url)
            await asyncio.sleep(1.5)
            second = await asyncio.to_thread(scrape, sfu_url)
            self.assertEqual(value(second, "sfu_meetings"), 1)
            self.assertEqual(value(second, "sfu_participants"), 2)
            # In: Alice's audio and video, Bob's video; out: those to the other one.
            self.assertEqual(value(second, "sfu_streams", direction="in"), 3)
            self.assertEqual(value(second, "sfu_streams", direction="out"), 3)
            for name in (
                "sfu_packets_received_total",
                "sfu_packets_forwarded_total",
                "sfu_bytes_forwarded_total",
            ):
                self.assertGreater(value(second, name), value(first, name), name)
            forwarded_per_second = (
                value(second, "sfu_packets_forwarded_total") - value(first, "sfu_packets_forwarded_total")
            ) / 1.5
            self.assertGreater(forwarded_per_second, 30)  # two 15 fps videos and 50 audio packets/s
            self.assertGreaterEqual(value(second, "sfu_command_seconds_count", type="sfu.join"), 2)
            self.assertGreaterEqual(value(second, "sfu_command_seconds_count", type="sfu.publish_offer"), 2)
            # Loss and keyframe figures are there (on loopback they may well stay at 0).
            for name, label, what in (
                ("sfu_plis_total", "direction", "sent"),
                ("sfu_nacks_total", "direction", "received"),
                ("sfu_retransmissions_total", "", ""),
                ("sfu_dropped_packets_total", "reason", "rtp_over_budget"),
            ):
                self.assertIn((name, ((label, what),) if label else ()), second)

            async def finals() -> bool:
                return await ProcessedFinal.objects.filter(transcript__meeting=meeting).aexists()

            deadline = time.monotonic() + 60
            while not await finals():
                self.assertLess(time.monotonic(), deadline, f"no final caption:\n{transcriber.tail()}")
                await asyncio.sleep(0.2)
            tr = await asyncio.to_thread(scrape, tr_url)
            self.assertGreater(value(tr, "transcriber_audio_seconds_total"), 1.0)
            self.assertGreaterEqual(value(tr, "transcriber_requests_total", kind="final"), 1)
            self.assertGreaterEqual(value(tr, "transcriber_caption_latency_seconds_count", final="true"), 1)
            self.assertGreaterEqual(value(tr, "transcriber_real_time_factor_count"), 1)
            self.assertGreaterEqual(value(tr, "transcriber_queue_depth"), 0)

            web = await database_sync_to_async(self.web_metrics)()
            self.assertEqual(
                value(web, "meet_websocket_connections") - value(web_before, "meet_websocket_connections"), 2
            )
            for kind, at_least in (("join", 2), ("publish-offer", 2), ("chat", 1)):
                grew = value(web, "meet_client_messages_total", type=kind) - value(
                    web_before, "meet_client_messages_total", type=kind
                )
                self.assertGreaterEqual(grew, at_least, kind)
            code = alice.received("error")[0]["code"]
            errors = value(web, "meet_errors_total", code=code) - value(
                web_before, "meet_errors_total", code=code
            )
            self.assertEqual(errors, 1, code)

            secrets = self.secrets_of(alice, bob, alice_cookie, bob_cookie)
            for peer in (bob, alice):
                await peer.ws.send_to(text_data=json.dumps(protocol.client_leave()))
                await peer.close()
            await wait_for(lambda: value(scrape(sfu_url), "sfu_participants") == 0, 20, "the SFU to empty")
            after = scrape(sfu_url)
            self.assertGreaterEqual(
                value(after, "sfu_packets_forwarded_total"), value(second, "sfu_packets_forwarded_total")
            )  # counts of those who left stay in the totals
        await asyncio.to_thread(sfu.stop)
        await asyncio.to_thread(transcriber.stop)

        self.assert_join_traced(web_log, sfu, transcriber, meeting.id, alice.participant, worker_id)
        self.assert_no_secrets(
            {"web": web_log.text, "sfu": sfu.output(), "transcriber": transcriber.output()}, secrets
        )

    def secrets_of(self, alice: WsPeer, bob: WsPeer, *cookies: str) -> list[str]:
        """What must never be logged: ICE credentials and SDP lines, session ids, passwords, chat."""
        found = [CHAT, "a=ice-pwd", "a=ice-ufrag", "a=fingerprint", "v=0\r\n", "v=0\\r\\n", "password"]
        found += [c.split("=", 1)[1] for c in cookies]
        for peer in (alice, bob):
            assert peer.peer is not None
            for pc in (peer.peer.publish_pc, peer.peer.subscribe_pc):
                for description in (pc.localDescription, pc.remoteDescription):
                    for line in description.sdp.splitlines():
                        if line.startswith(("a=ice-ufrag:", "a=ice-pwd:")):
                            found.append(line.split(":", 1)[1])
        self.assertGreaterEqual(len(found), 7 + 2 + 8)
        return found

    def assert_no_secrets(self, outputs: dict[str, str], secrets: list[str]) -> None:
        self.assertTrue(all(outputs.values()), "every process wrote log lines")
        for name, text in outputs.items():
            for secret in secrets:
                self.assertNotIn(secret, text, f"{secret!r} in the {name} log")

    def assert_join_traced(
        self,
        web_log: Capture,
        sfu: WorkerProcess,
        transcriber: WorkerProcess,
        meeting: int,
        who: int,
        worker: str,
    ) -> None:
        ids = {"meeting": meeting, "participant": who, "worker": worker}

        def with_ids(lines: list[dict[str, Any]]) -> list[str]:
            return [r["message"] for r in lines if all(r.get(k) == v for k, v in ids.items())]

        web_lines, sfu_lines, tr_lines = (
            web_log.records(),
            json_lines(sfu.output()),
            json_lines(transcriber.output()),
        )
        for name, lines, kind in (
            ("web", web_lines, "web"),
            ("sfu", sfu_lines, "sfu"),
            ("transcriber", tr_lines, "transcriber"),
        ):
            self.assertTrue(lines, f"no JSON lines from {name}")
            for line in lines:
                self.assertEqual(line["process"], kind)
                self.assertIn("timestamp", line)
                self.assertIn("level", line)
        self.assertTrue(
            any(m.startswith("Media on SFU worker") for m in with_ids(web_lines)), web_lines[-20:]
        )
        self.assertIn("Participant joined the meeting on this worker (1 here)", with_ids(sfu_lines))
        self.assertTrue(any(m.startswith("Final caption") for m in with_ids(tr_lines)), tr_lines[-20:])
        joined = [
            r
            for r in web_lines
            if r["message"].startswith("Participant joined room") and r["participant"] == who
        ]
        self.assertEqual(len(joined), 1)
        self.assertEqual(joined[0]["meeting"], meeting)
        self.assertTrue(joined[0].get("request_id"), "the socket's request id")
