"""A subscriber behind a 300 kbit/s link, with link adaptation off and on, in one run.

    .venv/bin/python bench/sfu_congestion.py [--seconds 20] [--rate 300]

Needs root (ip netns, tc). The SFU and an L1T3 publisher (320x240 30 fps VP8 with three
temporal layers at --kbps, plus Opus) run in this process in one network namespace; the
subscriber decodes in its own process in another; a veth pair joins them with a tbf rate limit
on the subscriber's downlink (conference.testing.netns). For each setting (SFU_ADAPT=0, then 1)
it prints, over the measured window after a settling time:

- frames/s delivered (RTP frames: the marker packet arrived, first or as a retransmission) and
  decoded (what aiortc's receiver made of them);
- freezes: gaps > 500 ms between delivered frames, and between decoded frames;
- audio loss: audio packets the SFU sent to the subscriber that did not arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
os.environ.setdefault("SECRET_KEY", "bench")

FREEZE = 0.5  # seconds between frames that count as a freeze


def freezes(times: list[float], start: float, end: float) -> tuple[int, float]:
    """(gaps longer than FREEZE, the longest gap) between frames in [start, end), edges included."""
    points = [start, *sorted(t for t in times if start <= t < end), end]
    gaps = [b - a for a, b in zip(points, points[1:], strict=False)]
    return sum(1 for g in gaps if g > FREEZE), max(gaps)


async def measure(adapt: bool, rate: int, seconds: float, settle: float, kbps: int) -> dict[str, Any]:
    from conference.testing.linkpeer import ShapedMeeting
    from conference.testing.netns import VethLink
    from conference.testing.peers import wait_for

    with VethLink(f"cgb{os.getpid() % 10000}") as link, tempfile.TemporaryDirectory() as tmp:
        with link.inside_sfu_side():
            m = ShapedMeeting(link, os.path.join(tmp, "peer.sock"), adapt=adapt, kbps=kbps)
            try:
                await m.start()
                sub = m.subscriber
                assert sub is not None
                await wait_for(lambda: len(sub.rtp_video_at) >= 30, 30, "video at the subscriber")
                link.shape(rate)
                await asyncio.sleep(settle)
                slots = m.harness.worker.participants[m.SUBSCRIBER].slots
                audio_stream = next(
                    s.stream for s in slots if s.publisher == m.PUBLISHER and s.kind == "audio"
                )
                sent0, got0, start = audio_stream.packets_sent, sub.rtp_audio, time.time()
                load0 = os.getloadavg()[0]
                await asyncio.sleep(seconds)
                sent, got, end = audio_stream.packets_sent - sent0, sub.rtp_audio - got0, time.time()
                await asyncio.sleep(0.5)  # the subscriber's last counts
                delivered = [t for t in sub.rtp_video_at if start <= t < end]
                decoded = [t for t in sub.video_at if start <= t < end]
                adapter = m.link_adapter()
                return {
                    "delivered_fps": len(delivered) / seconds,
                    "decoded_fps": len(decoded) / seconds,
                    "delivered_freezes": freezes(sub.rtp_video_at, start, end),
                    "decoded_freezes": freezes(sub.video_at, start, end),
                    "audio_loss": max(0, sent - got) / sent if sent else 0.0,
                    "level": adapter.level if adapt else 3,
                    "steps": f"{adapter.steps_down} down, {adapter.steps_up} up, {adapter.pauses} pauses"
                    if adapt
                    else "-",
                    "remb": adapter.remb_bps,
                    "load": (load0 + os.getloadavg()[0]) / 2,
                }
            finally:
                await m.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=300, help="kbit/s of the subscriber's downlink")
    parser.add_argument("--kbps", type=int, default=600, help="the publisher's VP8 target (TL0 gets 40 %%)")
    args = parser.parse_args()
    import django

    django.setup()
    import logging

    logging.getLogger("sfu").setLevel(logging.WARNING)
    results = {}
    for adapt in (False, True):
        results[adapt] = asyncio.run(measure(adapt, args.rate, args.seconds, args.settle, args.kbps))
    off, on = results[False], results[True]
    print(
        f"subscriber behind {args.rate} kbit/s (tbf, 200 ms queue), publisher VP8 L1T3 at a "
        f"{args.kbps} kbit/s target; {args.seconds:.0f} s measured after {args.settle:.0f} s"
    )
    print(f"{'':34}{'SFU_ADAPT=0':>16}{'SFU_ADAPT=1':>16}")
    rows = [
        ("frames/s delivered (RTP)", lambda r: f"{r['delivered_fps']:.1f}"),
        ("frames/s decoded", lambda r: f"{r['decoded_fps']:.1f}"),
        (
            "freezes > 0.5 s, delivered",
            lambda r: f"{r['delivered_freezes'][0]} (max {r['delivered_freezes'][1]:.1f} s)",
        ),
        (
            "freezes > 0.5 s, decoded",
            lambda r: f"{r['decoded_freezes'][0]} (max {r['decoded_freezes'][1]:.1f} s)",
        ),
        ("audio loss", lambda r: f"{100 * r['audio_loss']:.1f} %"),
        ("video level at the end", lambda r: str(r["level"])),
        ("adaptation steps", lambda r: r["steps"]),
        ("subscriber's REMB, kbit/s", lambda r: str(r["remb"] // 1000) if r["remb"] else "-"),
        ("load average", lambda r: f"{r['load']:.2f}"),
    ]
    for name, cell in rows:
        print(f"{name:34}{cell(off):>16}{cell(on):>16}")


if __name__ == "__main__":
    main()
