"""A web-process crash with two people in Chromium: the pages' web process (a Daphne of this
test's own) is SIGKILLed and started again on the same port. Each page reconnects and resumes its
own participant: no duplicate tiles or roster rows, video back, the chat history intact."""

from __future__ import annotations

import signal
import sys
import time

from conference.testing.browser import BrowserTestCase, Person
from conference.testing.processes import WorkerProcess, worker_environment
from conference.testing.redis import free_port
from rooms.models import Meeting, Participant
from rooms.tests.test_web_crash import wait_listening


class WebCrashInBrowsersTestCase(BrowserTestCase):
    web: WorkerProcess | None = None
    web_port = 0

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.web_port = free_port()

    @property
    def live_server_url(self) -> str:  # the pages use our own web process, not the test's
        return f"http://localhost:{self.web_port}"

    def start_web(self) -> WorkerProcess:
        env = {
            **worker_environment(),
            "CLIENT_TEST_HOOKS": "True",
            "PRESENCE_BEAT_SECONDS": "1",
            "PRESENCE_TTL_SECONDS": "20",
        }
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.web_port)]
        web = WorkerProcess(f"web-{self.web_port}", [*argv, "conference.asgi:application"], env=env)
        web.start()
        self.addCleanup(web.stop, 5)
        wait_listening(self.web_port, 60)
        return web

    def roster_names(self, person: Person) -> list[str]:
        return person.page.locator("#participants > li .roster-name").all_inner_texts()

    def test_a_crashed_web_process_loses_nobody_and_nothing(self) -> None:
        web = self.start_web()
        alice = self.signed_in(self.alice, own_browser=True)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(alice, "Bob")
        self.wait_video_playing(bob, "Alice")
        bob.page.get_by_label("Message").fill("before the crash")
        bob.page.get_by_role("button", name="Send").click()
        alice.page.locator("#chat-log").get_by_text("before the crash").wait_for()
        ids = {p.name: p.page.evaluate("() => window.__meet.self.id") for p in (alice, bob)}

        web.send_signal(signal.SIGKILL)
        web.wait(10)
        killed_at = time.monotonic()
        self.start_web()  # the same port, as a supervisor restarts it

        for person in (alice, bob):
            person.page.wait_for_function(
                "(id) => window.__meet.phase === 'joined' && window.__meet.self.id === id"
                " && window.__meet.events.filter((e) => e.joined).length >= 2",
                arg=ids[person.name],
                timeout=40_000,
            )
        self.wait_video_playing(alice, "Bob", timeout=40)
        self.wait_video_playing(bob, "Alice", timeout=40)
        back = time.monotonic() - killed_at
        print(f"\nweb crash in browsers: video back {back:.1f} s after SIGKILL", file=sys.stderr)
        for viewer, other in ((alice, "Bob"), (bob, "Alice")):
            self.assertEqual(self.tile(viewer, other).count(), 1, self.debug_dump())
            self.assertEqual(sorted(self.roster_names(viewer)), sorted([f"{viewer.name} (you)", other]))
            self.assertIn("1 other person is here", viewer.page.locator("#status").inner_text())
            viewer.page.locator("#chat-log").get_by_text("before the crash").wait_for()
        present = sorted(Participant.objects.filter(left_at__isnull=True).values_list("id", flat=True))
        self.assertEqual(present, sorted(ids.values()))
        self.assertEqual(Participant.objects.count(), 2)
        self.assertEqual(Meeting.objects.count(), 1)
