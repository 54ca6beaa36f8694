"""conference.breakers: open after the configured failures, refuse at once, probe after the
reset time, close on success; each change is logged. (The real faults are in each app's
tests/test_breakers.py.)"""

from __future__ import annotations

import asyncio
import time

import pybreaker
from django.test import SimpleTestCase, override_settings

from conference.breakers import BreakerOpen, async_breaker, reset_breakers, sync_breaker

LIMITS = {"BREAKER_SFU_FAILURES": 2, "BREAKER_SFU_RESET_SECONDS": 0.3}
LLM_LIMITS = {"BREAKER_LLM_FAILURES": 2, "BREAKER_LLM_RESET_SECONDS": 0.3}


def fail() -> None:
    raise ConnectionError("refused")


@override_settings(**LIMITS, **LLM_LIMITS)
class BreakerTests(SimpleTestCase):
    def setUp(self) -> None:
        reset_breakers()
        self.addCleanup(reset_breakers)

    async def test_async_breaker_opens_refuses_probes_and_closes(self) -> None:
        breaker = async_breaker("sfu")
        changes: list[str] = []
        breaker.on_change(changes.append)
        with self.assertLogs("conference.breakers", "WARNING") as logs:
            for _ in range(2):
                with self.assertRaises(ConnectionError):
                    async with breaker.guard():
                        fail()
            self.assertTrue(breaker.is_open)
            self.assertGreater(breaker.seconds_until_probe(), 0)
            with self.assertRaises(BreakerOpen):
                async with breaker.guard():
                    self.fail("called while open")
            await asyncio.sleep(0.35)
            async with breaker.guard():
                pass  # the probe succeeds
        self.assertFalse(breaker.is_open)
        self.assertEqual(changes, ["opened", "half-opened", "closed"])
        self.assertIn("Circuit breaker sfu opened (2 failures in a row)", logs.output[0])
        self.assertIn("Circuit breaker sfu closed", logs.output[-1])

    async def test_a_failed_probe_opens_it_again(self) -> None:
        breaker = async_breaker("sfu")
        for _ in range(2):
            with self.assertRaises(ConnectionError):
                async with breaker.guard():
                    fail()
        await asyncio.sleep(0.35)
        with self.assertLogs("conference.breakers", "WARNING") as logs, self.assertRaises(ConnectionError):
            async with breaker.guard():
                fail()
        self.assertEqual(breaker.state, "opened")
        self.assertIn("opened (the probe failed)", logs.output[0])

    def test_sync_breaker_opens_refuses_probes_and_closes(self) -> None:
        breaker = sync_breaker("llm")
        with self.assertLogs("conference.breakers", "WARNING") as logs:
            for _ in range(2):
                with self.assertRaises(ConnectionError):
                    breaker.call(fail)
            self.assertEqual(breaker.current_state, pybreaker.STATE_OPEN)
            with self.assertRaises(pybreaker.CircuitBreakerError):
                breaker.call(lambda: self.fail("called while open"))
            time.sleep(0.35)
            self.assertEqual(breaker.call(lambda: "ok"), "ok")
        self.assertEqual(breaker.current_state, pybreaker.STATE_CLOSED)
        self.assertIn("Circuit breaker llm opened (2 failures in a row)", logs.output[0])
        self.assertIn("Circuit breaker llm closed", logs.output[-1])
