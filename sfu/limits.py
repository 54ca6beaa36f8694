"""Every bound the SFU worker enforces, in one frozen object (docs/sfu-limits.md lists them).

Built from the SFU_* settings by :meth:`Limits.from_settings`; tests build it directly.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Limits:
    # people
    max_participants_per_meeting: int = 50
    max_publishers_per_meeting: int = 12
    max_participants_per_worker: int = 100
    max_streams_per_worker: int = 300  # subscriber streams forwarded (bench/sfu_meeting.py); 0: no cap
    # signaling
    max_sdp_bytes: int = 65536
    max_sdp_sections: int = 40
    max_remote_candidates: int = 20
    allow_private_candidates: bool = False
    max_queued_commands: int = 200  # per meeting
    offers_per_second: float = 2.0  # publish offers per participant (renegotiation storms)
    offer_burst: int = 4
    # media in (per publisher: all of its streams together)
    publisher_packets_per_second: float = 2500.0
    publisher_kbps: float = 10000.0
    max_ssrcs_per_connection: int = 8  # SSRCs announced or learned; others are dropped
    seq_jump_window: int = 512  # a larger jump resets the stream (no NACKs for the gap)
    rtcp_packets_per_second: float = 200.0  # RTCP datagrams per connection
    max_rtcp_bytes: int = 1500
    # media out (per subscriber)
    max_nacks_per_packet: int = 64
    rtx_min_interval: float = 0.05  # seconds; or the measured round trip when longer
    rtx_packets_per_second: float = 300.0
    pli_min_interval: float = 0.33
    adapt: bool = True  # per-subscriber link adaptation: VP8 temporal layers, pause (sfu.adapt)
    # teardown
    pc_close_timeout: float = 5.0
    tap_close_timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = "SFU_" + f.name.upper()
            if hasattr(settings, name):
                values[f.name] = getattr(settings, name)
        return cls(**values)

    def but(self, **changes: Any) -> Limits:
        return replace(self, **changes)

    @property
    def sdp_sections(self) -> int:
        """An answer carries one section per subscriber slot: never refuse our own offer's size."""
        return max(self.max_sdp_sections, 3 * self.max_publishers_per_meeting + 3)


def only_loopback(addresses: list[str]) -> bool:
    """True when the SFU gathers on loopback only: it can reach nothing but loopback anyway."""
    if not addresses:
        return False
    try:
        return all(ipaddress.ip_address(a).is_loopback for a in addresses)
    except ValueError:
        return False
