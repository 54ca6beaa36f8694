"""The last owner survives concurrent requests: two database connections (threads) change the two
owners at once. The first change is held uncommitted while the second runs; the second must wait
for it (the owner memberships are locked) and then see that it would remove the last owner."""

from __future__ import annotations

import threading
import time
import unittest
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts import services
from accounts.models import Membership
from conference.testing.base import BaseTransactionTestCase

BOUND = 20.0  # seconds any step may take


# The race is between row locks (SELECT ... FOR UPDATE, seen waiting in pg_stat_activity); SQLite has no
# row locks (one writer at a time), so there is no race to show there. `make test` and CI always
# run on PostgreSQL, where this never skips.
@unittest.skipUnless(
    connection.vendor == "postgresql", "needs PostgreSQL row locks; make test uses PostgreSQL"
)
class LastOwnerRaceTestCase(BaseTransactionTestCase):
    def setUp(self) -> None:
        super().setUp()
        Membership.objects.filter(organization=self.org, user=self.bob).update(role="owner")
        self.alice_m = Membership.objects.get(organization=self.org, user=self.alice)
        self.bob_m = Membership.objects.get(organization=self.org, user=self.bob)

    def waiting_on_a_lock(self) -> bool:
        with connection.cursor() as c:
            c.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            return c.fetchone()[0] > 0

    def race(self, first: Callable[[], object], second: Callable[[], object]) -> tuple[object, bool]:
        """``first`` runs in a transaction held open until ``second`` waits (or is done).
        Returns what ``second`` raised or returned, and whether it was seen waiting."""
        first_done, release = threading.Event(), threading.Event()
        results: dict[str, object] = {}

        def run_first() -> None:
            try:
                with transaction.atomic():
                    first()
                    first_done.set()
                    release.wait(BOUND)
            except BaseException as e:  # noqa: BLE001 - reported below
                results["first"] = e
                first_done.set()
            finally:
                connection.close()

        def run_second() -> None:
            first_done.wait(BOUND)
            try:
                results["second"] = second()
            except BaseException as e:  # noqa: BLE001
                results["second"] = e
            finally:
                connection.close()

        threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
        for t in threads:
            t.start()
        self.assertTrue(first_done.wait(BOUND))
        waited = False
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline and threads[1].is_alive():
            if self.waiting_on_a_lock():
                waited = True
                break
            time.sleep(0.05)
        release.set()
        for t in threads:
            t.join(BOUND)
            self.assertFalse(t.is_alive(), "a request hung")
        self.assertNotIn("first", results, results.get("first"))
        return results.get("second"), waited

    def owners(self) -> list[str]:
        return list(self.org.memberships.filter(role="owner").values_list("user__username", flat=True))

    def test_two_owners_removed_at_once(self) -> None:
        outcome, waited = self.race(
            lambda: services.remove_member(membership=self.alice_m, by=self.alice),
            lambda: services.remove_member(membership=self.bob_m, by=self.bob),
        )
        self.assertEqual(self.owners(), ["bob"])
        self.assertIsInstance(outcome, ValidationError)
        self.assertTrue(waited, "the second request did not wait for the first")

    def test_two_owners_demoted_at_once(self) -> None:
        outcome, waited = self.race(
            lambda: services.set_member_role(membership=self.alice_m, role="member", by=self.alice),
            lambda: services.set_member_role(membership=self.bob_m, role="admin", by=self.bob),
        )
        self.assertEqual(self.owners(), ["bob"])
        self.assertIsInstance(outcome, ValidationError)
        self.assertTrue(waited)

    def test_one_removed_while_the_other_is_demoted(self) -> None:
        outcome, _ = self.race(
            lambda: services.set_member_role(membership=self.bob_m, role="member", by=self.alice),
            lambda: services.remove_member(membership=self.alice_m, by=self.alice),
        )
        self.assertEqual(self.owners(), ["alice"])
        self.assertIsInstance(outcome, ValidationError)
