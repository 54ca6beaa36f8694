"""Prometheus metrics of an SFU worker (served by runsfu on SFU_METRICS_PORT).

The RTP path only counts in plain ints on its own objects (SubscriberStream, PublisherTrack,
InboundGuard), as it did before metrics existed. ``SfuCollector`` sums them at scrape time, on the
worker's event loop (``snapshot`` runs there, so it never sees a participant half-removed), and
the counts of participants who left are folded into ``SfuWorker.retired`` (``retire``) so the
totals never go down. Only the command latency histogram is updated directly: commands are rare.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from sfu.peer import Participant
    from sfu.worker import SfuWorker

logger = logging.getLogger(__name__)

COMMAND_SECONDS = Histogram(
    "sfu_command_seconds",
    "Time from a command's arrival at its meeting's queue to the end of its handling",
    ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# Counter fields: (object, attribute) -> name in the snapshot.
SOURCE_FIELDS = {
    "packets_received": "packets_received",
    "plis_sent": "plis_sent",
    "plis_throttled": "dropped_pli_throttled",
    "nacks_sent": "nacks_sent",
    "seq_resets": "seq_resets",
    "malformed": "dropped_malformed_rtp",
}
STREAM_FIELDS = {
    "packets_sent": "packets_forwarded",
    "octets_sent": "bytes_forwarded",
    "nacks_received": "nacks_received",
    "rtx_sent": "retransmissions",
    "plis_received": "plis_received",
    "rtx_suppressed": "dropped_rtx_duplicate",
    "rtx_over_budget": "dropped_rtx_over_budget",
    "dropped_waiting": "dropped_waiting_keyframe",
    "dropped_not_ready": "dropped_not_connected",
}
GUARD_FIELDS = {
    "rtp_dropped": "dropped_rtp_over_budget",
    "rtcp_dropped": "dropped_rtcp_over_budget",
    "ssrc_dropped": "dropped_unknown_ssrc",
    "srtp_dropped": "dropped_bad_srtp",
}

# Always exported (at 0 too), so a rate over them works from the start.
DROP_KEYS = sorted(
    name
    for fields in (SOURCE_FIELDS, STREAM_FIELDS, GUARD_FIELDS)
    for name in fields.values()
    if name.startswith("dropped_")
)


def participant_counts(p: Participant) -> Counter[str]:
    counts: Counter[str] = Counter()
    for source in p.sources.values():
        for attr, name in SOURCE_FIELDS.items():
            counts[name] += getattr(source, attr, 0)
    for slot in p.slots:
        for attr, name in STREAM_FIELDS.items():
            counts[name] += getattr(slot.stream, attr, 0)
    for attr, name in GUARD_FIELDS.items():
        counts[name] += getattr(p.guard, attr, 0)
    return counts


def retire(worker: SfuWorker, p: Participant) -> None:
    """p is leaving the worker: keep its counts in the worker's totals."""
    worker.retired.update(participant_counts(p))


def snapshot(worker: SfuWorker) -> dict[str, Any]:
    """Gauges and counter totals of the worker; call on its event loop."""
    totals: Counter[str] = Counter(worker.retired)
    streams_in = streams_out = 0
    for p in worker.participants.values():
        totals.update(participant_counts(p))
        # Streams that carry media: a publisher track once its first packet came.
        streams_in += sum(1 for source in p.sources.values() if source.media_ssrc is not None)
        streams_out += sum(
            1 for s in p.slots if s.stream.source is not None and s.stream.source.media_ssrc is not None
        )
    for key, value in worker.stats.items():
        if key.startswith("candidates_"):
            totals[f"dropped_candidate_{key.removeprefix('candidates_')}"] += value
    return {
        "meetings": len(worker.meetings),
        "participants": len(worker.participants),
        "streams_in": streams_in,
        "streams_out": streams_out,
        "totals": totals,
    }


class SfuCollector(Collector):
    """Reads ``snapshot(worker)`` on the worker's loop (bounded wait) at every scrape."""

    def __init__(self, worker: SfuWorker, loop: asyncio.AbstractEventLoop, timeout: float = 2.0) -> None:
        self.worker = worker
        self.loop = loop
        self.timeout = timeout

    def _snapshot(self) -> dict[str, Any]:
        try:
            if asyncio.get_running_loop() is self.loop:  # scraped from the loop itself (tests)
                return snapshot(self.worker)
        except RuntimeError:
            pass

        async def take() -> dict[str, Any]:
            return snapshot(self.worker)

        return asyncio.run_coroutine_threadsafe(take(), self.loop).result(self.timeout)

    def describe(self) -> Iterator[Any]:
        """The names, without a snapshot: registering must not wait on the loop it runs on."""
        empty = {"meetings": 0, "participants": 0, "streams_in": 0, "streams_out": 0, "totals": Counter()}
        yield from families(empty)

    def collect(self) -> Iterator[Any]:
        try:
            snap = self._snapshot()
        except Exception:  # a stuck loop: no SFU figures in this scrape (readiness says why)
            logger.warning("SFU metrics snapshot failed", exc_info=True)
            return
        yield from families(snap)


def families(snap: dict[str, Any]) -> Iterator[Any]:
    yield GaugeMetricFamily("sfu_meetings", "Meetings on this worker", value=snap["meetings"])
    yield GaugeMetricFamily("sfu_participants", "Participants on this worker", value=snap["participants"])
    streams = GaugeMetricFamily(
        "sfu_streams", "Media streams: in from publishers, out to subscribers", labels=["direction"]
    )
    streams.add_metric(["in"], snap["streams_in"])
    streams.add_metric(["out"], snap["streams_out"])
    yield streams
    totals: Counter[str] = snap["totals"]

    def counter(name: str, doc: str, key: str) -> CounterMetricFamily:
        return CounterMetricFamily(name, doc, value=totals[key])

    yield counter("sfu_packets_received", "RTP packets received from publishers", "packets_received")
    yield counter("sfu_packets_forwarded", "RTP packets forwarded to subscribers", "packets_forwarded")
    yield counter("sfu_bytes_forwarded", "RTP payload bytes forwarded to subscribers", "bytes_forwarded")
    nacks = CounterMetricFamily(
        "sfu_nacks", "NACKs: received from subscribers, sent to publishers", labels=["direction"]
    )
    nacks.add_metric(["received"], totals["nacks_received"])
    nacks.add_metric(["sent"], totals["nacks_sent"])
    yield nacks
    yield counter(
        "sfu_retransmissions", "RTX packets sent to subscribers from the history", "retransmissions"
    )
    plis = CounterMetricFamily(
        "sfu_plis", "PLI/FIR: received from subscribers, sent to publishers", labels=["direction"]
    )
    plis.add_metric(["received"], totals["plis_received"])
    plis.add_metric(["sent"], totals["plis_sent"])
    yield plis
    dropped = CounterMetricFamily(
        "sfu_dropped_packets", "Packets and requests not forwarded, by reason", labels=["reason"]
    )
    for key in sorted(set(DROP_KEYS) | {k for k in totals if k.startswith("dropped_")}):
        dropped.add_metric([key.removeprefix("dropped_")], totals[key])
    yield dropped
    yield counter(
        "sfu_sequence_resets", "Publisher streams restarted after a sequence-number jump", "seq_resets"
    )


def register(worker: SfuWorker, loop: asyncio.AbstractEventLoop, registry: Any = None) -> Callable[[], None]:
    """Adds the worker's collector to ``registry`` (the default); returns the undo."""
    from prometheus_client import REGISTRY

    registry = registry or REGISTRY
    collector = SfuCollector(worker, loop)
    registry.register(collector)
    return lambda: registry.unregister(collector)
