"""Clauses for the overview: shortened, readable on their own, pronouns named."""

from __future__ import annotations

import unittest

from summaries.extract.compress import (
    agenda,
    clauses,
    headline,
    last_person,
    name_subject,
    people_named,
    readable,
    resolve_which,
    shorten,
    vagueness,
)


class ShortenTests(unittest.TestCase):
    def test_discourse_markers_and_hedges_go(self) -> None:
        for said, kept in (
            ("So, honestly, I think the build is really green now.", "the build is green now"),
            ("Okay, well, the migration basically finished at six", "the migration finished at six"),
            ("Yesterday the team closed forty tickets, right?", "the team closed forty tickets"),
            ("The honest answer is that deploys happen in chat.", "deploys happen in chat"),
        ):
            with self.subTest(said):
                self.assertEqual(shorten(said), kept)


class ClauseTests(unittest.TestCase):
    def test_a_sentence_gives_its_readable_clauses(self) -> None:
        got = clauses(
            "The code is mostly done, but we still don't have sandbox credentials from the provider."
        )
        self.assertIn("The code is mostly done", got)
        self.assertIn("we still don't have sandbox credentials from the provider", got)

    def test_fragments_are_not_clauses(self) -> None:
        for fragment in (
            "which is about sixty five percent",
            "the bakery chain and the hospital in Dayton",
            "Shared calendars and automatic swaps",
            "mostly because the display campaign stopped",
            "that one generated a lot of tickets",
            "two hundred fifty seats",
            "the change management document",
        ):
            with self.subTest(fragment):
                self.assertFalse(readable(fragment))
        got = clauses("We spent three hundred thousand, which is about sixty five percent.")
        self.assertEqual(got, ["We spent three hundred thousand, which is about sixty five percent",
                               "We spent three hundred thousand"])  # fmt: skip
        # "..., and agree what we change": the subject of that verb is before the comma
        self.assertEqual(clauses("The goal is to review the budget, and agree what we change"),
                         ["The goal is to review the budget, and agree what we change",
                          "The goal is to review the budget"])  # fmt: skip

    def test_which_after_a_noun_becomes_a_clause_about_it(self) -> None:
        got = clauses("The odd one out is the archive server, which still runs an unpatched kernel.")
        self.assertIn("archive server still runs an unpatched kernel", got)
        self.assertEqual(resolve_which("We moved the logs to cold storage", "which costs half as much"),
                         "cold storage costs half as much")  # fmt: skip
        # ", which is ..." / ", which means ...": about the whole clause before, left as it is
        for part in ("which is exactly the problem", "which means a second week", "which I liked"):
            with self.subTest(part):
                self.assertEqual(resolve_which("Someone left the company in spring", part), part)
        # a verb before "which": it is about what happened, not a noun
        self.assertEqual(resolve_which("The forklift battery failed twice", "which stopped the night shift"),
                         "which stopped the night shift")  # fmt: skip

    def test_clauses_leaning_on_what_came_before(self) -> None:
        self.assertEqual(vagueness("It went up last Tuesday"), 1.0)
        self.assertEqual(vagueness("Please send the list"), 1.0)
        self.assertEqual(vagueness("Beatrice is ten percent above it"), 0.5)
        self.assertEqual(vagueness("The order service you wrote is slow"), 0.3)
        self.assertEqual(vagueness("The order service is slow"), 0.0)

    def test_he_and_she_become_the_person_talked_about(self) -> None:
        text = "Owen was the strongest candidate. Beatrice's salary is above the band. Chicago is far."
        people = people_named(text)
        self.assertEqual(people, {"Owen", "Beatrice"})
        # "He asked ...", "She said ...": pronouns at a sentence's start are no people
        self.assertEqual(people_named("He asked about the band. She said no. Owen asked too."), {"Owen"})
        self.assertEqual(last_person("Does anyone want a fourth round for Owen?", people, "Laura"), "Owen")
        self.assertIsNone(last_person("Owen asked that.", people, "Owen"))  # the speaker is "I"
        self.assertEqual(name_subject("He mentioned another offer", "Owen"), "Owen mentioned another offer")
        self.assertEqual(name_subject("He mentioned another offer", None), "He mentioned another offer")

    def test_headline_drops_details_a_reader_does_not_miss(self) -> None:
        for clause, written in (
            ("Priya restarted the router at about 9", "Priya restarted router"),  # figures are digits by then
            ("Priya deployed the fix at around eleven", "Priya deployed fix"),
            (
                "There are 31 open tickets in the queue",
                "31 open tickets in queue",
            ),  # the figure is the subject
            (
                "Jonas would be happier on the mobile team than with us",
                "Jonas would be happier on mobile team",
            ),
            ("we still don't have the signed lease from the landlord", "still no signed lease from landlord"),
            ("they don't have any spare badges", "no spare badges"),
            ("Priya was the best speaker we had this year", "Priya was best speaker we had"),
            ("the lease starts Monday at noon", "lease starts Monday at noon"),  # when a thing starts stays
        ):
            with self.subTest(clause):
                self.assertEqual(headline(clause), written)

    def test_an_agenda_line_says_what_the_meeting_is_about(self) -> None:
        self.assertEqual(
            agenda("Let's go through the Maple Street escalation."),
            "Topic: the Maple Street escalation",
        )
        self.assertIsNone(agenda("Let's not set that precedent."))
