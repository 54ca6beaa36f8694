"""Raise hand, reactions, copy invite link and keyboard shortcuts in real browsers. No media
server: these go through signaling only (chat keeps working without media, and so do they)."""

from __future__ import annotations

from conference.testing.browser import BrowserTestCase, Person


class HandsAndReactionsTestCase(BrowserTestCase):
    start_sfu = False

    def hands(self, person: Person) -> list[str]:
        return person.page.locator("#hands li .roster-name").all_inner_texts()

    def test_hands_queue_in_order_and_the_host_lowers_one(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        gus = self.new_person("Gus Guest")
        for person in (alice, bob, gus):
            self.enter(person)
        bob.page.get_by_role("button", name="Raise hand").click()
        bob.page.get_by_role("button", name="Lower hand").wait_for()
        alice.page.locator("#hands li", has_text="Bob").wait_for()
        gus.page.get_by_role("button", name="Raise hand").click()
        alice.page.locator("#hands li", has_text="Gus Guest").wait_for()
        self.assertEqual(self.hands(alice), ["Bob", "Gus Guest"])  # in the order raised
        self.assertEqual(self.hands(gus), ["Bob", "Gus Guest (you)"])  # visible to everyone
        bob_tile = alice.page.locator('.tile[data-kind="camera"]', has=self.tile(alice, "Bob"))
        bob_tile.get_by_text("Hand raised").wait_for()
        self.assertEqual(gus.page.get_by_role("button", name="Lower Bob's hand").count(), 0)  # hosts only

        alice.page.get_by_role("button", name="Lower Bob's hand").click()
        bob.page.get_by_role("button", name="Raise hand").wait_for()
        bob.page.locator("#status", has_text="Alice lowered your hand.").wait_for()
        bob_tile.get_by_text("Hand raised").wait_for(state="hidden")
        gus.page.wait_for_function(
            "() => [...document.querySelectorAll('#hands li')].map((li) => li.textContent).join('|')"
            " === 'Gus Guest (you)'"
        )

    def test_a_reaction_floats_on_everyone_elses_stage(self) -> None:
        alice = self.signed_in(self.alice)
        bob = self.signed_in(self.bob)
        self.enter(alice)
        self.enter(bob)
        bob.page.get_by_role("button", name="Reactions").click()
        bob.page.get_by_role("button", name="Applause").click()
        floating = alice.page.locator('.reaction-float[data-emoji="👏"]')
        floating.wait_for()
        self.assertIn("Bob", floating.inner_text())
        floating.wait_for(state="detached", timeout=6_000)  # briefly
        self.assertEqual(
            bob.page.get_by_role("button", name="Reactions").get_attribute("aria-expanded"), "false"
        )

    def test_copy_invite_link(self) -> None:
        alice = self.signed_in(self.alice)
        alice.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=self.live_server_url)
        self.enter(alice)
        alice.page.get_by_role("button", name="Copy invite link").click()
        alice.page.locator("#status", has_text="Invite link copied").wait_for()
        self.assertEqual(alice.page.evaluate("() => navigator.clipboard.readText()"), self.room_url())

    def test_keyboard_shortcuts_work_but_never_while_typing(self) -> None:
        bob = self.signed_in(self.bob)
        self.enter(bob)
        page = bob.page
        page.locator("body").press("m")
        page.get_by_role("button", name="Unmute microphone").wait_for()
        page.get_by_label("Message").fill("")
        page.get_by_label("Message").press_sequentially("mvh")  # typing: no shortcut fires
        self.assertEqual(page.get_by_label("Message").input_value(), "mvh")
        self.assertEqual(page.get_by_role("button", name="Unmute microphone").count(), 1)
        self.assertEqual(page.get_by_role("button", name="Raise hand").count(), 1)
        page.get_by_role("button", name="Send").focus()
        page.keyboard.press("h")
        page.get_by_role("button", name="Lower hand").wait_for()
        page.keyboard.press("?")
        dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        dialog.wait_for()
        self.assertIn("Raise or lower your hand", dialog.inner_text())
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        page.keyboard.press("c")  # chat: to the message field
        self.assertEqual(page.evaluate("() => document.activeElement.id"), "chat-input")
