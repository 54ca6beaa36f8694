"""The distributed deployment of deploy/cluster.py (Caddy, 2 web, 2 SFU, 2 transcribers, Celery
worker and beat) with three people in Chromium through the load balancer, on different web
processes: video, audio, chat, captions, transcript and summary; then one web process and the
meeting's SFU worker are SIGKILLed and the meeting goes on."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from accounts import services as account_services
from accounts.models import Membership
from conference.testing.browser import BrowserTestCase
from conference.testing.processes import ROOT, WorkerProcess, worker_environment
from conference.testing.redis import free_port
from rooms.models import Meeting, Participant
from summaries.models import Summary
from transcripts.models import Segment, Transcript
from transcripts.tests.helpers import FIXTURES, reference, wer
from transcripts.tests.test_browser_captions import padded_wav

SPEECH = "speech1"
MAX_WER = 0.25


class ClusterInBrowsersTestCase(BrowserTestCase):
    start_sfu = False  # the cluster has its own
    cluster: WorkerProcess
    layout: dict[str, dict[str, int]]
    lb_port = 0

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmpdir = tempfile.mkdtemp(prefix="cluster-")
        wav = Path(cls.tmpdir) / f"{SPEECH}.wav"
        padded_wav(FIXTURES / f"{SPEECH}.wav", wav)
        cls.extra_chromium_args = [f"--use-file-for-fake-audio-capture={wav}"]
        super().setUpClass()
        cls.lb_port = free_port()
        env = {
            **worker_environment(),
            "CLIENT_TEST_HOOKS": "True",
            "SUMMARY_MODEL_SECONDS": "20",
            "TRANSCRIPT_FLUSH_TIMEOUT_SECONDS": "30",
            "TRANSCRIPT_HOUSEKEEPING_SECONDS": "10",
            "PRESENCE_TTL_SECONDS": "10",
            "CLUSTER_HEALTH_URI": os.environ.get("CLUSTER_HEALTH_URI", "/healthz"),
        }
        argv = [sys.executable, str(ROOT / "deploy" / "cluster.py"), "--port", str(cls.lb_port)]
        argv += ["--run-dir", os.path.join(cls.tmpdir, "run")]
        cls.cluster = WorkerProcess("cluster", argv, env=env, ready=r"cluster ready", ready_timeout=240)
        cls.cluster.start()
        try:
            cls.cluster.wait_ready()
        except BaseException:
            cls.cluster.stop(20)
            super().tearDownClass()
            raise
        line = next(x for x in cls.cluster.lines if x.startswith("cluster ready: "))
        cls.layout = json.loads(line.removeprefix("cluster ready: "))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.cluster.stop(30)
        super().tearDownClass()
        shutil.rmtree(cls.tmpdir, ignore_errors=True)

    @property
    def live_server_url(self) -> str:  # everyone goes through the load balancer
        return f"http://localhost:{self.lb_port}"

    def log_of(self, name: str) -> str:
        return (Path(self.tmpdir) / "run" / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        os.kill(self.layout[name]["pid"], signal.SIGKILL)

    def test_a_meeting_across_the_cluster_survives_a_web_and_an_sfu_crash(self) -> None:
        carol_user = account_services.create_user(username="carol", password="password", display_name="Carol")
        Membership.objects.create(organization=self.org, user=carol_user, role=Membership.Role.MEMBER)
        people = [self.signed_in(u, own_browser=True) for u in (self.alice, self.bob, carol_user)]
        alice, bob, carol = people
        for person in people:
            self.enter(person)
            if person is not alice:  # only Alice speaks (every fake microphone plays the file)
                person.page.get_by_role("button", name="Mute microphone").click()
        for viewer in people:
            for other in people:
                if other is not viewer:
                    self.wait_video_playing(viewer, other.name, timeout=60)
        self.wait_audio_flowing(bob, "Alice", timeout=60)
        channels = Participant.objects.filter(left_at__isnull=True).values_list("channel_name", flat=True)
        processes = {c.split("!")[0] for c in channels}
        self.assertGreaterEqual(len(processes), 2, f"everyone on one web process: {list(channels)}")
        carol.page.get_by_label("Message").fill("hello from carol")
        carol.page.get_by_role("button", name="Send").click()
        alice.page.locator("#chat-log").get_by_text("hello from carol").wait_for()
        ref = reference(SPEECH)
        self.wait_until(
            lambda: any(
                c["final"] and c["speaker"] == "Alice" and wer(ref, c["text"]) <= MAX_WER
                for c in bob.page.evaluate("() => window.__meet.captionLog")
            ),
            60,
            f"no caption of Alice on Bob's page\n{self.debug_dump()}",
        )

        # SIGKILL one web process and the SFU worker carrying the meeting.
        meeting = Meeting.objects.get()
        ids = {p.name: p.page.evaluate("() => window.__meet.self.id") for p in people}
        joins = {
            p.name: p.page.evaluate("() => window.__meet.events.filter((e) => e.joined).length")
            for p in people
        }
        sfu = next(n for n in self.layout if n.startswith("sfu-") and meeting.sfu_worker.startswith(n + "-"))
        page_now = {p.name: p.page.evaluate("() => performance.now()") for p in people}
        self.kill("web-1")
        self.kill(sfu)
        killed_at = time.monotonic()
        self.wait_until(
            lambda: Meeting.objects.get().sfu_worker != meeting.sfu_worker, 30, "the meeting moved"
        )
        for person in people:  # each page rebuilt its media since (a rejoin, or a media restart)
            person.page.wait_for_function(
                "(t) => window.__meet.events.some((e) => (e.mediaRestart || e.joined) && e.t > t)",
                arg=page_now[person.name],
                timeout=60_000,
            )
        for viewer in people:
            for other in people:
                if other is not viewer:
                    self.wait_video_playing(viewer, other.name, timeout=60)
        print(f"\ncluster: video back {time.monotonic() - killed_at:.1f} s after the kills", file=sys.stderr)
        for person in people:
            self.assertEqual(person.page.evaluate("() => window.__meet.self.id"), ids[person.name])
            other = "Alice" if person is not alice else "Bob"
            # One tile each (a late media-restart may rebuild it: wait, bounded, for it to settle).
            self.wait_until(lambda p=person, o=other: self.tile(p, o).count() == 1, 20, f"one {other} tile")
        self.assertEqual(Participant.objects.count(), 3)  # nobody twice
        self.assertEqual(Meeting.objects.get().pk, meeting.pk)  # the same meeting, on the other worker
        self.assertNotEqual(Meeting.objects.get().sfu_worker, meeting.sfu_worker)
        bob.page.get_by_label("Message").fill("after the crash")
        bob.page.get_by_role("button", name="Send").click()
        carol.page.locator("#chat-log").get_by_text("after the crash").wait_for()
        del joins

        # Everyone leaves: one transcript completes, one summary is made.
        for person in people:
            person.page.get_by_role("button", name="Leave").click()
        self.wait_until(lambda: Meeting.objects.get().ended_at is not None, 20, "the meeting did not end")
        self.wait_until(
            lambda: Transcript.objects.filter(meeting=meeting, status=Transcript.Status.COMPLETE).exists(),
            90,
            "the transcript did not complete",
        )
        alice_said = [s.text for s in Segment.objects.filter(transcript__meeting=meeting, speaker="Alice")]
        self.assertTrue(any(wer(ref, t) <= MAX_WER for t in alice_said), alice_said)
        self.wait_until(
            lambda: Summary.objects.filter(meeting=meeting, status=Summary.Status.DONE).exists(),
            240,
            f"no summary: {list(Summary.objects.values_list('status', 'error'))}\n{self.log_of('celery')[-3000:]}",
        )
        self.assertEqual(Summary.objects.filter(meeting=meeting).count(), 1)
