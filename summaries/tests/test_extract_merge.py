"""One action item per task and owner, owners in the meeting."""

from __future__ import annotations

from summaries.tests.extract_helpers import PhrasingCase


class MergeTests(PhrasingCase):
    def test_owner_outside_the_meeting_is_dropped(self) -> None:
        self.assertEqual(self.items(("Ann Lee", "Zed will send the contract to legal tomorrow.")), [])

    def test_repeated_commitment_is_kept_once(self) -> None:
        items = self.items(
            ("Bo Chan", "I'll update the load balancer config by Tuesday."),
            ("Cy Moss", "Thanks."),
            ("Bo Chan", "Like I said, I'll update the load balancer config by Tuesday."),
        )
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["segments"], [1, 3])
