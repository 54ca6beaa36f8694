"""Browser test harness: Daphne + the SFU worker as subprocesses, headless Chromium via Playwright.

Not a test module itself. ``BrowserTestCase`` starts (once per class):
- Daphne serving the project (``ChannelsLiveServerTestCase``, against the test database),
- ``manage.py runsfu`` with ``SFU_HOST_ADDRESSES=127.0.0.1`` and the same database and Redis prefix,
- one Chromium process; each participant gets a browser context of its own.

Every wait is bounded; failures print the tail of the SFU's log. Every test also fails on any
Content-Security-Policy violation a page reports (the pages are served with the production policy).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from channels.testing import ChannelsLiveServerTestCase
from django.conf import settings
from django.test import Client, override_settings
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from conference.testing.base import NamedUsersMixin, reset_channel_layers
from conference.testing.processes import WorkerProcess, worker_environment
from rooms.models import Participant, Room

CHROMIUM = "/usr/bin/chromium"
# A wait bound, not a timing target (bench/late_join.py measures that): on a loaded 2-core machine
# three Chromiums, the SFU and Daphne share the CPU and ICE alone can take several seconds.
MEDIA_TIMEOUT = 20.0
CHROMIUM_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Person:
    """One participant: a browser context and its page."""

    name: str
    context: BrowserContext
    page: Page
    console: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if CSP_MARK in line or "Content Security Policy" in line]


# Chromium logs a refused resource or inline script as a console error mentioning the policy; the
# DOM event is logged as well, with this mark, so no violation goes unseen.
CSP_MARK = "CSP violation:"
JS_REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber} (${(e.sample || "").slice(0, 80)})`);
});
"""

# JS run in the page. `window.__meet` is set by static/js/room.js.
JS_VIDEO_ADVANCING = """
(selector) => {
  const v = document.querySelector(selector);
  if (!v || v.videoWidth === 0) return false;
  window.__probe = window.__probe || {};
  const prev = window.__probe[selector];
  window.__probe[selector] = v.currentTime;
  return prev !== undefined && v.currentTime > prev;
}
"""

JS_AUDIO_PACKETS = """
async () => {
  const meet = window.__meet;
  const pc = meet && meet.subscribePc;
  if (!pc) return {};
  const byId = {};
  for (const p of meet.participants) byId[p.id] = p.name;
  const tracks = meet.subscribeTracks || {};
  const out = {};
  const stats = await pc.getStats();
  stats.forEach((r) => {
    if (r.type !== "inbound-rtp" || r.kind !== "audio") return;
    const info = tracks[r.mid];
    if (!info) return;
    const name = byId[info.participant] || String(info.participant);
    out[name] = (out[name] || 0) + (r.packetsReceived || 0);
  });
  return out;
}
"""


@override_settings(CLIENT_TEST_HOOKS=True)  # window.__meet; enabled before Daphne is forked
class BrowserTestCase(NamedUsersMixin, ChannelsLiveServerTestCase):
    """Named users (alice hosts, bob is a member, charlie an outsider) and a live stack."""

    host = "localhost"  # a secure context for getUserMedia without https
    serve_static = True
    start_sfu = True
    sfu_ready_timeout = 30.0
    default_timeout_ms = 15_000
    extra_chromium_args: list[str] = []

    playwright: Playwright
    browser: Browser
    sfu: WorkerProcess | None = None
    _browser_no_fake_ui: Browser | None = None

    @classmethod
    def setUpClass(cls) -> None:
        # Playwright's sync API runs an event loop in this thread; the ORM calls in the tests
        # are still plain synchronous code.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        reset_channel_layers()  # the forked Daphne must not inherit layers bound to our event loops
        super().setUpClass()  # Daphne (forked) before any browser or worker thread exists
        try:
            if cls.start_sfu:
                cls.sfu = cls.start_worker(
                    "sfu", ["runsfu"], {"SFU_HOST_ADDRESSES": "127.0.0.1"}, ready=r"\bready\b"
                )
                cls.sfu.wait_ready(cls.sfu_ready_timeout)
            cls.playwright = sync_playwright().start()
            cls.browser = cls.playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS + cls.extra_chromium_args,
                timeout=30_000,
            )
        except BaseException:
            cls._stop_all()
            super().tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls._stop_all()
        super().tearDownClass()

    @classmethod
    def _stop_all(cls) -> None:
        for attr in ("_browser_no_fake_ui", "browser"):
            b = getattr(cls, attr, None)
            if b is not None:
                try:
                    b.close()
                except Exception:  # noqa: BLE001 - best effort at teardown
                    pass
                setattr(cls, attr, None)
        if getattr(cls, "playwright", None) is not None:
            cls.playwright.stop()
            cls.playwright = None  # type: ignore[assignment]
        for worker in cls.workers():
            code = worker.stop()
            if code not in (0, None, -signal.SIGTERM):
                print(f"{worker.name} exited with {code}:\n{worker.tail()}", file=sys.stderr)

    @classmethod
    def workers(cls) -> list[WorkerProcess]:
        return [w for w in cls.__dict__.get("_workers", [])]

    @classmethod
    def start_worker(cls, name: str, args: list[str], env: dict[str, str], ready: str) -> WorkerProcess:
        worker = WorkerProcess.manage(name, *args, env={**worker_environment(), **env}, ready=ready)
        worker.start()
        if "_workers" not in cls.__dict__:
            cls._workers = []
        cls._workers.append(worker)
        return worker

    def setUp(self) -> None:
        super().setUp()
        self.set_up_users()
        self.room.access = Room.Access.LINK
        self.room.save(update_fields=["access"])
        self.people: list[Person] = []
        self.addCleanup(self._assert_no_csp_violations)  # runs last: after every page is closed
        self.addCleanup(self._close_people)

    def _close_people(self) -> None:
        for person in self.people:
            try:
                person.context.close()
            except Exception:  # noqa: BLE001
                pass
        # Let the consumers record the leaves before the test database is flushed: a flush
        # racing those writes deadlocks in PostgreSQL.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Participant.objects.filter(left_at__isnull=True).exists():
            time.sleep(0.2)
        time.sleep(0.5)

    def _assert_no_csp_violations(self) -> None:
        found = [f"{p.name}: {line}" for p in self.people for line in p.csp_violations()]
        if found:
            raise AssertionError("Content-Security-Policy violations:\n" + "\n".join(found))

    def debug_dump(self) -> str:
        """Page state and logs, for assertion messages."""
        parts = []
        for p in self.people:
            try:
                state = p.page.evaluate(
                    "() => ({status: document.getElementById('status')?.textContent,"
                    " alert: document.getElementById('alert')?.textContent,"
                    " events: (window.__meet?.events || []).slice(-15)})"
                )
            except Exception as e:  # noqa: BLE001
                state = f"(page unavailable: {e})"
            parts.append(f"--- {p.name}: {state}\n" + "\n".join(p.console[-15:]))
        if self.sfu is not None:
            parts.append("--- sfu log:\n" + self.sfu.tail(40))
        return "\n".join(parts)

    # --- people ------------------------------------------------------------------------------

    def new_person(
        self,
        name: str,
        *,
        camera: bool = True,
        viewport: dict | None = None,
        own_browser: bool = False,
        browser_args: list[str] | None = None,
    ) -> Person:
        """A browser context. ``camera=False``: camera permission refused (microphone allowed).

        ``own_browser``: a Chromium process of its own. Contexts of one browser share its fake
        capture device, and a newcomer's encoder start pauses that device for everyone (~1.5 s
        without frames), which a real participant on their own machine never sees.
        ``browser_args``: more Chromium switches for that own browser (a later switch wins, e.g.
        another ``--use-file-for-fake-audio-capture`` than the class's).
        """
        if own_browser or browser_args:
            browser = self.playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS + self.extra_chromium_args + (browser_args or []),
                timeout=30_000,
            )
            self.addCleanup(browser.close)
            permissions = ["camera", "microphone"]
        elif camera:
            browser = self.browser
            permissions = ["camera", "microphone"]
        else:
            # --use-fake-ui-for-media-stream accepts every prompt, so a refusal needs a browser
            # without it; the context's permissions then decide, as a person's click would.
            if self._browser_no_fake_ui is None:
                args = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"]
                type(self)._browser_no_fake_ui = self.playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=args + self.extra_chromium_args,
                    timeout=30_000,
                )
            browser = self._browser_no_fake_ui
            permissions = ["microphone"]
        context = browser.new_context(
            base_url=self.live_server_url,
            permissions=permissions,
            viewport=viewport or {"width": 1100, "height": 760},
        )
        context.set_default_timeout(self.default_timeout_ms)
        context.add_init_script(JS_REPORT_CSP)
        page = context.new_page()
        person = Person(name=name, context=context, page=page)
        page.on("console", lambda m: person.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: person.console.append(f"pageerror: {e}"))
        self.people.append(person)
        return person

    def sign_in(self, person: Person, user: Any) -> None:
        """Log in by handing the browser a real session cookie (the login page has its own tests)."""
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        person.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": self.live_server_url}]
        )

    def signed_in(self, user: Any, **kwargs: Any) -> Person:
        person = self.new_person(user.name, **kwargs)
        self.sign_in(person, user)
        return person

    def room_url(self, room: Room | None = None) -> str:
        return f"{self.live_server_url}/rooms/{(room or self.room).slug}/"

    def open_room(self, person: Person, room: Room | None = None) -> None:
        """Load the room page; a guest types their name first. Waits until Join can be pressed."""
        page = person.page
        page.goto(self.room_url(room))
        if page.get_by_label("Your name").count():
            page.get_by_label("Your name").fill(person.name)
            page.get_by_role("button", name="Continue").click()
        join = page.get_by_role("button", name="Join", exact=True)
        join.wait_for(state="visible")
        # The preview settles (devices granted or refused) before we join.
        page.wait_for_function(
            "() => /Ready to join/.test(document.getElementById('status').textContent)",
            timeout=self.default_timeout_ms,
        )

    def join(self, person: Person) -> None:
        page = person.page
        page.get_by_role("button", name="Join", exact=True).click()
        try:
            page.wait_for_function("() => window.__meet && window.__meet.phase === 'joined'", timeout=10_000)
        except Exception as e:
            raise AssertionError(f"{person.name} did not join: {e}\n{self.debug_dump()}") from None

    def enter(self, person: Person, room: Room | None = None) -> None:
        self.open_room(person, room)
        self.join(person)

    # --- media checks ------------------------------------------------------------------------

    def wait_video_playing(
        self, person: Person, name: str, timeout: float = MEDIA_TIMEOUT, *, screen: bool = False
    ) -> None:
        """``person`` sees ``name``'s camera (or screen): videoWidth > 0 and currentTime advancing."""
        attr = "data-screen-of" if screen else "data-participant"
        selector = f'video[{attr}="{name}"]'
        try:
            person.page.wait_for_function(
                JS_VIDEO_ADVANCING, arg=selector, polling=250, timeout=timeout * 1000
            )
        except Exception as e:
            what = "screen" if screen else "video"
            raise AssertionError(
                f"{person.name} does not see {name}'s {what} playing: {e}\n{self.debug_dump()}"
            ) from None

    def audio_packets(self, person: Person) -> dict[str, int]:
        return person.page.evaluate(JS_AUDIO_PACKETS)

    def wait_audio_flowing(self, person: Person, name: str, timeout: float = MEDIA_TIMEOUT) -> None:
        """Inbound-rtp audio packets from ``name`` increase on ``person``'s subscribe connection."""
        deadline = time.monotonic() + timeout
        first: int | None = None
        while time.monotonic() < deadline:
            count = self.audio_packets(person).get(name)
            if count is not None and count > 0:
                if first is None:
                    first = count
                elif count > first:
                    return
            time.sleep(0.3)
        raise AssertionError(
            f"{person.name} receives no audio from {name} (packets {first}, now "
            f"{self.audio_packets(person)})\n{self.debug_dump()}"
        )

    def time_to_first_frame(self, person: Person) -> float:
        """Seconds from the Join click to the first frame of any remote video (measured in the page)."""
        result = person.page.evaluate(
            "() => { const m = window.__meet; const t = Object.values(m.firstFrameAt || {});"
            " return t.length ? (Math.min(...t) - m.joinClickedAt) / 1000 : null; }"
        )
        if result is None:
            raise AssertionError(f"{person.name} saw no remote frame\n{self.debug_dump()}")
        return float(result)

    def timeline(self, person: Person) -> list[str]:
        """The page's signaling and media events, in seconds after the Join click."""
        return person.page.evaluate(
            "() => { const m = window.__meet; return m.events.filter((e) => e.t >= m.joinClickedAt).map((e) =>"
            " { const { t, ...rest } = e; return `${((t - m.joinClickedAt) / 1000).toFixed(2)} ${JSON.stringify(rest)}`; }); }"
        )

    def tile(self, person: Person, name: str):  # noqa: ANN201 - a Playwright Locator
        return person.page.locator(f'video[data-participant="{name}"]')

    def wait_until(self, predicate: Any, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        raise AssertionError(f"{message}\n{self.debug_dump()}")
