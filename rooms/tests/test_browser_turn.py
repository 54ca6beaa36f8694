"""A meeting whose browsers may only use TURN (iceTransportPolicy "relay") through a real coturn
on 127.0.0.1 with the per-participant credentials of conference/turn.py: media still flows."""

from __future__ import annotations

from django.test import override_settings

from conference.testing.browser import BrowserTestCase, Person
from conference.testing.turn import SECRET, Coturn

# The candidate types of each peer connection's selected pair, from getStats().
JS_SELECTED_TYPES = """
async () => {
  const out = {};
  for (const name of ["publishPc", "subscribePc"]) {
    const pc = window.__meet[name];
    if (!pc) continue;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "transport" && r.selectedCandidatePairId) {
        const pair = stats.get(r.selectedCandidatePairId);
        out[name] = [stats.get(pair.localCandidateId).candidateType, stats.get(pair.remoteCandidateId).candidateType];
      }
    });
  }
  return out;
}
"""


class RelayOnlyMeetingTestCase(BrowserTestCase):
    coturn: Coturn

    @classmethod
    def setUpClass(cls) -> None:
        cls.coturn = Coturn().start()  # allows loopback peers: the SFU is on 127.0.0.1 here
        cls.addClassCleanup(cls.coturn.stop)
        cls.turn_settings = override_settings(
            TURN_URLS=[cls.coturn.url], TURN_SECRET=SECRET, SFU_ICE_TRANSPORT_POLICY="relay"
        )
        cls.turn_settings.enable()  # before Daphne is forked
        # A class cleanup, registered first so it runs last: after BrowserTestCase's own class
        # override (CLIENT_TEST_HOOKS) is undone, which would otherwise restore these settings
        # for every later test class (they did: later meetings were relay-only, without media).
        cls.addClassCleanup(cls.turn_settings.disable)
        super().setUpClass()

    def selected_types(self, person: Person) -> dict[str, list[str]]:
        return person.page.evaluate(JS_SELECTED_TYPES)

    def test_media_flows_through_the_relay_only(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        self.wait_video_playing(bob, "Alice")
        self.wait_video_playing(alice, "Bob")
        self.wait_audio_flowing(alice, "Bob")
        self.wait_audio_flowing(bob, "Alice")
        for person in (alice, bob):
            types = self.selected_types(person)
            self.assertEqual(set(types), {"publishPc", "subscribePc"}, types)
            for pc, (local, _remote) in types.items():
                self.assertEqual(local, "relay", f"{person.name}'s {pc} did not go through TURN: {types}")
        # coturn saw the allocations under the participants' ids, never their names.
        log = "\n".join(self.coturn.process.lines)
        self.assertRegex(log, r"\d+:participant-\d+")
        self.assertNotIn("alice", log.lower())
