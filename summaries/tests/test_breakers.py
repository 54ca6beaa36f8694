"""The LLM's circuit breaker (summaries.llm_breaker) with a real fault: LLM_MODEL_PATH names a file
of garbage that llama.cpp refuses to load; later the same path holds the real model. Summaries are
made meanwhile by the extractor, marked, and redone by the beat task once the breaker closes."""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import pybreaker
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from conference.testing.base import BaseTestCase
from summaries import services, summarizer
from summaries.llm_breaker import breaker
from summaries.models import Summary
from summaries.tasks import redo_deferred_summaries
from summaries.tests.helpers import make_meeting

LATER = "The AI summary will be made later."
RESET = 3.0  # long enough that the first redo below comes before it on a loaded machine


class LlmBreakerTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.good_model = settings.LLM_MODEL_PATH
        folder = tempfile.mkdtemp(prefix="brk-llm-")
        self.addCleanup(shutil.rmtree, folder, True)
        self.path = os.path.join(folder, "model.gguf")
        with open(self.path, "wb") as f:
            f.write(os.urandom(4096))  # not a GGUF file: llama.cpp refuses it
        summarizer._close_engine()  # a model another test loaded must not hide the fault
        self.addCleanup(summarizer._close_engine)
        overrides = override_settings(
            LLM_MODEL_PATH=self.path,
            SUMMARY_USE_LLM=True,
            SUMMARY_MODEL_SECONDS=5,  # one small chunk each: 2 shared cores
            LLM_CONTEXT=512,
            LLM_MAX_TOKENS=16,
            BREAKER_LLM_FAILURES=1,
            BREAKER_LLM_RESET_SECONDS=RESET,
        )
        overrides.enable()
        self.addCleanup(overrides.disable)
        self.client.force_login(self.alice)

    def summarize_new_meeting(self) -> Summary:
        summary = Summary.objects.create(meeting=make_meeting(self.room, fixture="clinic_handover"))
        return services.run_summary(summary_id=summary.pk)

    def page_says_later(self, summary: Summary) -> bool:
        page = self.client.get(reverse("meeting_detail", args=[summary.meeting_id]))
        self.assertEqual(page.status_code, 200)
        return LATER in page.content.decode()

    def test_unloadable_model_opens_the_breaker_and_the_good_one_redoes_the_summaries(self) -> None:
        made = [self.summarize_new_meeting()]  # the load fails: open
        self.assertEqual(breaker().current_state, pybreaker.STATE_OPEN)
        started = time.monotonic()
        made.append(self.summarize_new_meeting())  # open: the model is not even tried
        self.assertLess(time.monotonic() - started, 5)
        for summary in made:
            self.assertEqual((summary.status, summary.model_name), (Summary.Status.DONE, "extractor"))
            self.assertTrue(summary.model_deferred)
            self.assertTrue(summary.action_items)  # the extractor's, already useful
            self.assertTrue(self.page_says_later(summary))

        os.remove(self.path)
        os.symlink(self.good_model, self.path)  # the operator puts the right file in place
        self.assertEqual(redo_deferred_summaries.apply().get(), [])  # still open: not tried yet
        time.sleep(RESET + 0.1)
        redone = redo_deferred_summaries.apply().get()  # the probe loads the model and closes it
        self.assertEqual(redone, [s.pk for s in made])
        self.assertEqual(breaker().current_state, pybreaker.STATE_CLOSED)
        for summary in made:
            summary.refresh_from_db()
            self.assertEqual((summary.version, summary.model_name), (1, "model.gguf"))  # in place
            self.assertFalse(summary.model_deferred)
            self.assertFalse(self.page_says_later(summary))
        self.assertEqual(redo_deferred_summaries.apply().get(), [])  # nothing left to redo
