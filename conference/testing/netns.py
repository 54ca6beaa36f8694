"""A shaped link for tests and benches: two network namespaces joined by a veth pair.

    with VethLink("adapt") as link:            # namespaces <name>-sfu and <name>-sub, a /30 between
        link.shape(300)                        # tbf on the SFU side: what the subscriber receives
        with link.inside_sfu_side():           # this thread's new sockets live in <name>-sfu
            ...                                # an SFU gathering on link.sfu_address
        link.command("python", "-m", ...)      # argv for a process in <name>-sub

Only addresses on that veth exist: 10.254.<n>.1 (SFU side) and .2 (subscriber side), inside
namespaces this object creates and deletes (also when the test fails). Needs root (ip, tc).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def run(*argv: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


class VethLink:
    def __init__(self, name: str, subnet: int | None = None) -> None:
        self.name = name
        self.subnet = subnet if subnet is not None else os.getpid() % 250
        self.sfu_ns, self.sub_ns = f"{name}-sfu", f"{name}-sub"
        self.sfu_dev, self.sub_dev = f"{name[:8]}-s", f"{name[:8]}-c"
        self.sfu_address = f"10.254.{self.subnet}.1"
        self.sub_address = f"10.254.{self.subnet}.2"

    def __enter__(self) -> VethLink:
        self.delete()  # leftovers of a run that was killed
        try:
            run("ip", "netns", "add", self.sfu_ns)
            run("ip", "netns", "add", self.sub_ns)
            run("ip", "link", "add", self.sfu_dev, "netns", self.sfu_ns, "type", "veth",
                "peer", "name", self.sub_dev, "netns", self.sub_ns)  # fmt: skip
            for ns, dev, address in (
                (self.sfu_ns, self.sfu_dev, self.sfu_address),
                (self.sub_ns, self.sub_dev, self.sub_address),
            ):
                run("ip", "-n", ns, "addr", "add", f"{address}/30", "dev", dev)
                run("ip", "-n", ns, "link", "set", dev, "up")
                run("ip", "-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.delete()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()

    def delete(self) -> None:
        for ns in (self.sfu_ns, self.sub_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)

    def shape(self, rate_kbit: int, *, queue_ms: int = 200) -> None:
        """A tbf rate limit on what leaves the SFU side (the subscriber's downlink), with a queue
        of ``queue_ms``: what does not fit is dropped, as on a real bottleneck. Replaces any
        earlier shaping. (netem is not in this machine's kernel: loss comes from the queue.)"""
        self.clear()
        burst = max(3000, rate_kbit * 1000 // 8 // 50)  # 20 ms of the rate, at least 2 packets
        run("ip", "netns", "exec", self.sfu_ns, "tc", "qdisc", "add", "dev", self.sfu_dev, "root",
            "tbf", "rate", f"{rate_kbit}kbit", "burst", str(burst), "latency", f"{queue_ms}ms")  # fmt: skip

    def clear(self) -> None:
        subprocess.run(
            ["ip", "netns", "exec", self.sfu_ns, "tc", "qdisc", "del", "dev", self.sfu_dev, "root"],
            capture_output=True,
            timeout=20,
        )

    @contextlib.contextmanager
    def inside_sfu_side(self) -> Iterator[None]:
        """This thread in the SFU-side namespace; sockets made meanwhile stay there afterwards."""
        with open("/proc/thread-self/ns/net") as here, open(f"/run/netns/{self.sfu_ns}") as there:
            _setns(there.fileno())
            try:
                yield
            finally:
                _setns(here.fileno())

    def command(self, *argv: str) -> list[str]:
        """argv run inside the subscriber-side namespace."""
        return ["ip", "netns", "exec", self.sub_ns, *argv]
