"""Per-subscriber link adaptation: what one subscriber's link carries, as a level of video.

A pure state machine (no aiortc, no clock of its own): sfu.aiortc_hooks_subscriber feeds it the
subscriber's RTCP receiver reports (fraction lost, jitter) and REMB estimates; sfu.peer applies
the level it settles on to that subscriber's video streams.

Levels: 3, 2, 1 = forward VP8 temporal layers TL0..TL(level-1) (full, half, quarter frame
rate); 0 = video paused ("video paused: poor connection"). Audio is never adapted.

Hysteresis: down fast, up slowly.
- A report with ``down_loss`` or more lost steps down one level at once, then no further step for
  ``down_interval`` (the next report must have seen the effect of this one).
- At level 1, ``pause_loss`` or more lost in reports spanning ``down_interval`` (a first one, and
  another at least that much later, with no video report under ``pause_loss`` between) pauses
  video: one keyframe overflowing a short queue is not a link that cannot carry TL0. (Audio
  reports do not interrupt the span: a small stream can get through a queue video overflows.)
- Up one level after ``clean_period`` of reports all below ``up_loss``.
- Paused: audio still flows, so its reports still describe the link. After ``probe_period`` of
  clean reports, video is probed at level 1 (it resumes at a keyframe).
- A step up (or probe) that fails, i.e. is followed by a step down before ``clean_period`` has
  passed, doubles the wait before the next one (up to ``max_probe_period``): a link that carries
  half the frame rate but not all of it settles at half instead of swinging every few seconds.
  A step up that holds for ``clean_period`` puts the waits back to their base.
"""

from __future__ import annotations

from dataclasses import dataclass

FULL = 3
PAUSED = 0


@dataclass(frozen=True)
class AdaptConfig:
    down_loss: float = 0.08  # fraction lost in one report: one step down
    pause_loss: float = 0.20  # at TL0 only: pause video
    up_loss: float = 0.02  # below this a report is clean
    down_interval: float = 1.5  # seconds between steps down
    clean_period: float = 5.0  # seconds of clean reports before one step up
    probe_period: float = 4.0  # seconds of clean reports while paused before probing
    max_probe_period: float = 32.0  # the longest wait before a step up or probe


class LinkAdapter:
    """One subscriber's link: its video level from its receiver reports."""

    def __init__(self, config: AdaptConfig | None = None) -> None:
        self.config = config or AdaptConfig()
        self.level = FULL
        self.reports = 0
        self.steps_down = 0
        self.steps_up = 0
        self.pauses = 0
        self.probes = 0
        self.last_loss = 0.0
        self.last_jitter = 0  # in RTP clock units of the reported stream
        self.remb_bps: int | None = None  # the subscriber's own estimate, where it sends one
        self._last_down = float("-inf")
        self._clean_since: float | None = None
        self._up_wait = self.config.clean_period  # grows while steps up fail
        self._probe_wait = self.config.probe_period  # the same, for probes out of a pause
        self._last_up: float | None = None  # a step up not yet proven by a clean period
        self._heavy_since: float | None = None  # level 1: heavy loss reported since then

    def remb(self, bitrate: int) -> None:
        self.remb_bps = bitrate

    def report(self, now: float, fraction_lost: float, jitter: int = 0, *, video: bool = True) -> int | None:
        """Feed one report block (fraction lost 0..1) about a video stream, or an audio one; the
        new level when it changes."""
        c = self.config
        self.reports += 1
        self.last_loss, self.last_jitter = fraction_lost, jitter
        if video and fraction_lost < c.pause_loss:
            self._heavy_since = None
        if fraction_lost >= c.down_loss:
            self._clean_since = None
            return self._down(now, fraction_lost)
        if fraction_lost >= c.up_loss:
            self._clean_since = None
            return None
        if self._clean_since is None:
            self._clean_since = now
        if self._last_up is not None and now - self._last_up >= c.clean_period:
            self._last_up = None  # the last step up held: back to the base periods
            self._up_wait, self._probe_wait = c.clean_period, c.probe_period
        wait = self._probe_wait if self.level == PAUSED else self._up_wait
        if self.level < FULL and now - self._clean_since >= wait:
            self._clean_since = now
            if self.level == PAUSED:
                self.probes += 1
            self.level += 1
            self.steps_up += 1
            self._last_up = now
            return self.level
        return None

    def _down(self, now: float, fraction_lost: float) -> int | None:
        c = self.config
        if self.level == PAUSED or now - self._last_down < c.down_interval:
            return None
        if self.level == 1:
            if fraction_lost < c.pause_loss:
                return None
            if self._heavy_since is None:
                self._heavy_since = now
            if now - self._heavy_since < c.down_interval:
                return None
            self._heavy_since = None
        self._last_down = now
        if self._last_up is not None:  # the last step up failed: wait longer before the next
            self._last_up = None
            if self.level == 1:
                self._probe_wait = min(c.max_probe_period, self._probe_wait * 2)
            else:
                self._up_wait = min(c.max_probe_period, self._up_wait * 2)
        if self.level == 1:
            self.pauses += 1
        self.level -= 1
        self.steps_down += 1
        return self.level
