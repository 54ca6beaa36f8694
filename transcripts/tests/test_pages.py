from __future__ import annotations

import json

from django.conf import settings
from django.shortcuts import resolve_url

from transcripts import services
from transcripts.models import Segment
from transcripts.tests.helpers import MeetingTestCase

PAGES = [
    "/meetings/{}/transcript/",
    "/meetings/{}/transcript.txt",
    "/meetings/{}/transcript.vtt",
    "/meetings/{}/transcript.json",
]


class TranscriptPagesTestCase(MeetingTestCase):
    def setUp(self) -> None:
        super().setUp()
        for utt, (who, start, text) in enumerate(
            [
                (self.p_alice, 65.2, "Good morning, is the <b>website</b> ready?"),
                (self.p_bob, 3.5, "Hello everyone & welcome."),
                (self.p_bob, 70.0, "Almost, the website needs one more test."),
            ]
        ):
            services.store_final_segment(
                meeting_id=self.meeting.pk,
                participant_id=who.pk,
                speaker=who.display_name,
                utterance=f"u{utt}",
                start=start,
                end=start + 3.25,
                text=text,
            )
        self.urls = [p.format(self.meeting.pk) for p in PAGES]

    def test_participant_and_managers_can_read(self) -> None:
        for user in (self.bob, self.alice, self.dave):  # participant, owner, admin
            self.client.force_login(user)
            for url in self.urls:
                with self.subTest(user=user.username, url=url):
                    self.assertEqual(self.client.get(url).status_code, 200)

    def test_org_admin_who_was_not_there_can_read(self) -> None:
        self.assertFalse(self.meeting.participants.filter(user=self.dave).exists())
        self.client.force_login(self.dave)
        self.assertContains(self.client.get(self.urls[0]), "Hello everyone")

    def test_outsiders_are_refused(self) -> None:
        for user in (self.charlie, self.erin):  # another org; a member who was not in the meeting
            self.client.force_login(user)
            for url in self.urls:
                with self.subTest(user=user.username, url=url):
                    r = self.client.get(url)
                    self.assertEqual(r.status_code, 403)
                    self.assertNotIn(b"website", r.content)

    def test_anonymous_is_sent_to_login(self) -> None:
        login = resolve_url(settings.LOGIN_URL)
        for url in self.urls:
            with self.subTest(url=url):
                r = self.client.get(url)
                self.assertRedirects(r, f"{login}?next={url}", fetch_redirect_response=False)

    def test_unknown_meeting_is_404(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get("/meetings/999999/transcript/").status_code, 404)
        self.assertEqual(self.client.get(f"/meetings/{self.meeting.pk}/transcript.pdf").status_code, 404)

    def test_page_lists_segments_in_order_with_speakers_and_times(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.get(self.urls[0])
        html = r.content.decode()
        first, second, third = (html.index(t) for t in ("Hello everyone", "Good morning", "Almost, the"))
        self.assertLess(first, second)
        self.assertLess(second, third)
        for clock in ("00:03", "01:05", "01:10"):
            self.assertIn(clock, html)
        self.assertIn("Alice", html)
        self.assertIn("&lt;b&gt;website&lt;/b&gt;", html)  # speech text is never markup
        self.assertNotIn("<b>website</b>", html)

    def test_search_filters_and_highlights(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.get(self.urls[0], {"q": "WEBSITE"})
        html = r.content.decode()
        self.assertNotIn("Hello everyone", html)
        self.assertIn("<mark>website</mark>", html)
        self.assertEqual(html.count("<mark>"), 2)
        self.assertContains(r, 'value="WEBSITE"')
        r = self.client.get(self.urls[0], {"q": "nothing-like-this"})
        self.assertContains(r, "Nothing matches your search")
        r = self.client.get(self.urls[0], {"q": "<script>"})
        self.assertContains(r, 'value="&lt;script&gt;"')

    def test_search_by_speaker_and_several_words(self) -> None:
        self.client.force_login(self.bob)
        html = self.client.get(self.urls[0], {"q": "alice morning"}).content.decode()
        self.assertIn("Good", html)
        self.assertNotIn("Almost, the", html)

    def test_text_download(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.get(self.urls[1])
        self.assertEqual(r["Content-Type"], "text/plain; charset=utf-8")
        self.assertIn("attachment", r["Content-Disposition"])
        lines = r.content.decode().splitlines()
        self.assertIn("[00:03] Bob: Hello everyone & welcome.", lines)
        self.assertLess(
            lines.index("[00:03] Bob: Hello everyone & welcome."),
            [i for i, x in enumerate(lines) if x.startswith("[01:05] Alice:")][0],
        )

    def test_vtt_download(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.get(self.urls[2])
        self.assertEqual(r["Content-Type"], "text/vtt; charset=utf-8")
        body = r.content.decode()
        self.assertTrue(body.startswith("WEBVTT\n\n"))
        self.assertIn("00:00:03.500 --> 00:00:06.750\n<v Bob>Hello everyone &amp; welcome.", body)
        self.assertIn(
            "00:01:05.200 --> 00:01:08.450\n<v Alice>Good morning, is the &lt;b&gt;website&lt;/b&gt; ready?",
            body,
        )

    def test_json_download(self) -> None:
        self.client.force_login(self.bob)
        r = self.client.get(self.urls[3])
        self.assertEqual(r["Content-Type"], "application/json")
        data = json.loads(r.content)
        self.assertEqual(data["meeting"], self.meeting.pk)
        self.assertEqual(data["status"], "live")
        self.assertEqual([s["start"] for s in data["segments"]], [3.5, 65.2, 70.0])
        self.assertEqual(
            data["segments"][0],
            {
                "speaker": "Bob",
                "participant": self.p_bob.pk,
                "start": 3.5,
                "end": 6.75,
                "text": "Hello everyone & welcome.",
            },
        )

    def test_empty_transcript(self) -> None:
        self.client.force_login(self.alice)
        Segment.objects.all().delete()
        self.assertContains(self.client.get(self.urls[0]), "Nothing was transcribed")
        self.assertEqual(json.loads(self.client.get(self.urls[3]).content)["segments"], [])
