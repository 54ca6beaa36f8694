"""Bad sfu.* commands get error replies, and the worker keeps working."""

from __future__ import annotations

from django.test import SimpleTestCase

from conference.testing.peers import BrowserPeer, SfuHarness, wait_for


class BadInputTests(SimpleTestCase):
    async def send_bad_commands(self, h: SfuHarness) -> BrowserPeer:
        """Participant 1 publishes, then sends seven bad commands (and one for nobody)."""
        peer = await h.join(1)
        await wait_for(lambda: peer.publish_answered.is_set(), 10, "the publish answer")
        for sdp in ("hello", "", "v=0\r\nthis is not sdp\r\n", 42):
            await h.worker.handle({"type": "sfu.publish_offer", "participant": 1, "sdp": sdp})
        await h.worker.handle({"type": "sfu.subscribe_answer", "participant": 1, "sdp": "v=0\r\n"})
        await h.worker.handle({"type": "sfu.ice", "participant": 99, "pc": "publish", "candidate": None})
        await h.worker.handle({"type": "sfu.nonsense", "participant": 1})
        await h.worker.handle({"type": "sfu.set_muted", "participant": 1, "kind": "smell", "muted": True})
        await h.worker.handle("not a dict")  # type: ignore[arg-type]
        await wait_for(lambda: len(peer.errors) >= 7, 5, "the error replies")
        return peer

    async def test_bad_commands_get_error_replies(self) -> None:
        h = SfuHarness()
        try:
            peer = await self.send_bad_commands(h)
            codes = [e["code"] for e in peer.errors]
            self.assertEqual(codes[:5], ["bad-sdp"] * 5)
            self.assertTrue(all(e["message"] for e in peer.errors))
            self.assertIn("unknown-type", codes)
            self.assertIn("invalid", codes)
        finally:
            await h.close()

    async def test_no_reply_for_someone_who_never_joined(self) -> None:
        h = SfuHarness()
        try:
            await self.send_bad_commands(h)
            unknown = [m for c, m in h.sent if m["type"] == "sfu.error" and m["participant"] == 99]
            self.assertEqual(unknown, [])  # no reply channel for someone who never joined
        finally:
            await h.close()

    async def test_the_worker_keeps_working_after_bad_commands(self) -> None:
        h = SfuHarness()
        try:
            await self.send_bad_commands(h)
            # A second participant joins and receives media.
            sub = await h.join(2, publish=False)
            await wait_for(lambda: sub.frames[(1, "video")] >= 3, 15, "video after bad input")
        finally:
            await h.close()

    async def test_unknown_participant_with_a_reply_channel_gets_an_error(self) -> None:
        h = SfuHarness()
        try:
            await h.join(1)
            sub = await h.join(2, publish=False)
            await h.worker.handle(
                {"type": "sfu.leave", "participant": 42, "reply_channel": "reply.2"}  # type: ignore[typeddict-unknown-key]
            )
            await wait_for(lambda: any(e["code"] == "unknown-participant" for e in sub.errors), 5, "unknown")
        finally:
            await h.close()
