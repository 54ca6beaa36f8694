"""The dashboard in Chromium: an owner opens it, switches the range and sees the chart change,
downloads the CSV, changes a room's access and finds that change in the audit log.

Screenshots of each page go to docs/screenshots/ with SAVE_SCREENSHOTS=1 (to a temporary
directory otherwise: they are taken either way, so the pages render whole).
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from conference.testing.browser import BrowserTestCase
from dashboard.generate import generate
from rooms.models import Room

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class DashboardInBrowserTests(BrowserTestCase):
    start_sfu = False  # pages only, no meeting

    def setUp(self) -> None:
        super().setUp()  # the room is "Anyone with the link" here
        retro = Room.objects.create(
            organization=self.org, name="Retro", slug="retro-x", created_by=self.alice
        )
        generate(organization=self.org, users=[self.alice, self.bob], rooms=[self.room, retro], meetings=120)
        self.shots = SCREENSHOTS if os.getenv("SAVE_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
        self.shots.mkdir(parents=True, exist_ok=True)

    def bars(self, page, metric: str = "meetings") -> int:  # type: ignore[no-untyped-def]
        return int(page.locator(f'svg[data-metric="{metric}"]').get_attribute("data-bars"))

    def total(self, page, metric: str = "meetings") -> int:  # type: ignore[no-untyped-def]
        return int(page.locator(f'[data-total="{metric}"]').inner_text())

    def test_owner_reads_usage_downloads_it_changes_a_room_and_finds_it_audited(self) -> None:
        alice = self.signed_in(self.alice, viewport={"width": 1200, "height": 900})
        page = alice.page
        page.goto(f"{self.live_server_url}/organizations/{self.org.slug}/")
        page.get_by_role("link", name="Dashboard").click()
        page.get_by_role("heading", name="Usage, last 30 days, per day").wait_for()
        self.assertEqual(self.bars(page), 30)
        month = self.total(page)
        page.screenshot(path=str(self.shots / "dashboard.png"), full_page=False)

        # Switch the range: 90 days per week.
        page.get_by_label("Range", exact=True).select_option("90")
        page.get_by_label("Group by").select_option("week")
        page.get_by_role("button", name="Show").click()
        page.get_by_role("heading", name="Usage, last 90 days, per week").wait_for()
        self.assertIn(self.bars(page), (13, 14))
        self.assertEqual(self.total(page), 120)
        self.assertLess(month, 120)
        table = page.get_by_role("region", name="Meetings per week, table")
        self.assertEqual(table.locator("tbody tr").count(), self.bars(page))
        page.get_by_role("heading", name="Meetings per week").scroll_into_view_if_needed()
        page.screenshot(path=str(self.shots / "dashboard-90-days.png"), full_page=False)

        # Download the series as CSV.
        with page.expect_download() as info:
            page.get_by_role("link", name="Download usage CSV").click()
        path = info.value.path()
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0][:2], ["week", "meetings"])
        self.assertEqual(sum(int(r[1]) for r in rows[1:]), 120)

        # Change the room's access.
        page.get_by_role("navigation", name="Organization").get_by_role("link", name="Rooms").click()
        page.get_by_role("link", name="Manage Standup").click()
        page.get_by_label("Who can join").select_option("members")
        page.screenshot(path=str(self.shots / "room-settings.png"), full_page=False)
        page.get_by_role("button", name="Save room").click()
        page.get_by_text("Standup saved.").wait_for()
        self.room.refresh_from_db()
        self.assertEqual(self.room.access, Room.Access.MEMBERS)

        # ... and find it in the audit log.
        page.get_by_role("link", name="Audit log").click()
        page.get_by_label("Action").select_option("room.change")
        page.get_by_role("button", name="Filter").click()
        row = page.locator("tbody tr").filter(has_text="Room changed")
        row.wait_for()
        self.assertEqual(row.count(), 1)
        text = row.inner_text()
        self.assertIn("alice", text)
        self.assertIn("access: link -> members", text)
        self.assertIn("127.0.0.1", text)
        page.screenshot(path=str(self.shots / "audit-log.png"), full_page=False)
