"""Split a process's CPU samples (``perf record -g``) into kernel paths and user-space libraries.

    .venv/bin/python bench/perf_split.py perf.data      # or: perf script ... | perf_split.py -

Each sample is put in the first matching bucket, reading its call chain from the top (the
syscall or interrupt it is in) down; what a bucket means is in ``BUCKETS``. Used by
``bench/sfu_fanout.py --profile N`` for docs/sfu.md's table.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

# (bucket, any of these kernel symbols in the chain). Order matters: the first match wins.
KERNEL_BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    # The receiver's side of loopback (IP and UDP input, its socket's wakeup) runs in the
    # sender's softirq, so it is charged to the process that calls sendto.
    (
        "kernel: loopback delivery (in sendto)",
        ("__netif_receive_skb", "process_backlog", "net_rx_action", "ip_rcv", "__udp4_lib_rcv"),
    ),
    (
        "kernel: route lookup (in sendto)",
        ("ip_route_output_key_hash", "fib_table_lookup", "ip_route_output_flow"),
    ),
    (
        "kernel: rest of sendto (udp_sendmsg, copy, skb)",
        ("__sys_sendto", "__x64_sys_sendto", "__sys_sendmmsg"),
    ),
    ("kernel: recvfrom", ("__sys_recvfrom", "__x64_sys_recvfrom", "__sys_recvmmsg")),
    ("kernel: epoll_wait", ("do_epoll_wait", "__x64_sys_epoll_wait", "__x64_sys_epoll_pwait")),
    # Switched out on the way back from a syscall: mostly a sendto whose wakeup of the receiving
    # process preempted us (2 cores, the receivers are runnable at once).
    ("kernel: scheduler at a syscall's return", ("exit_to_user_mode_loop",)),
    ("kernel: other syscalls", ("do_syscall_64",)),
    ("kernel: page faults", ("exc_page_fault", "asm_exc_page_fault")),
]


def user_bucket(dso: str) -> str:
    name = dso.rsplit("/", 1)[-1]
    if "pylibsrtp" in dso:
        return "user: pylibsrtp (libsrtp, its AES and HMAC)"
    if "libpython" in name or name.startswith("python3"):
        return "user: libpython (the interpreter)"
    if name.startswith("_cffi_backend"):
        return "user: cffi (calls into pylibsrtp)"
    if "srtp" in dso:
        return "user: pylibsrtp (libsrtp, its AES and HMAC)"
    if "libcrypto" in dso or "libssl" in dso:
        return "user: OpenSSL"
    if "libc.so" in name or "ld-linux" in name:
        return "user: libc (malloc, syscall wrappers)"
    if "fastpath" in name:
        return "user: sfu fast path (C)"
    if name.endswith(".so") or ".so." in name or ".cpython-" in name:
        return "user: other extension modules"
    return "user: other (" + name + ")"


def bucket(frames: list[tuple[str, str]]) -> str:
    """``frames``: (symbol, dso) from the leaf (where the sample is) up."""
    if not frames:
        return "unknown"
    leaf_sym, leaf_dso = frames[0]
    if leaf_dso != "[kernel.kallsyms]":
        return user_bucket(leaf_dso)
    syms = {s.split("+", 1)[0] for s, d in frames if d == "[kernel.kallsyms]"}
    for name, marks in KERNEL_BUCKETS:
        if any(m in syms for m in marks):
            return name
    return "kernel: other (interrupts, scheduler, timers)"


def parse(lines: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    frames: list[tuple[str, str]] = []
    in_sample = False
    for line in lines + [""]:
        if not line.strip():
            if in_sample:
                counts[bucket(frames)] += 1
            frames, in_sample = [], False
            continue
        if not line.startswith((" ", "\t")):
            in_sample = True  # a sample's header line (comm, tid, event)
            continue
        parts = line.strip().split(" ", 1)
        if len(parts) < 2:
            continue
        rest = parts[1]
        dso = rest[rest.rfind("(") + 1 : -1] if rest.endswith(")") else "?"
        sym = rest[: rest.rfind("(")].strip() if "(" in rest else rest
        frames.append((sym, dso))
    return counts


def split(perf_data: str) -> Counter[str]:
    out = subprocess.run(
        ["perf", "script", "-i", perf_data, "-F", "comm,tid,event,ip,sym,dso"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    return parse(out.splitlines())


def table(counts: Counter[str], seconds: float) -> str:
    total = sum(counts.values()) or 1
    rows = [f"{'where':<52} {'samples':>8} {'share':>7} {'samples/s':>10}"]
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        rows.append(f"{name:<52} {n:>8} {100 * n / total:>6.1f}% {n / seconds:>10.1f}")
    rows.append(f"{'all':<52} {total:>8} {100.0:>6.1f}% {total / seconds:>10.1f}")
    return "\n".join(rows)


if __name__ == "__main__":
    source = sys.argv[1] if len(sys.argv) > 1 else "perf.data"
    result = parse(sys.stdin.read().splitlines()) if source == "-" else split(source)
    print(table(result, float(sys.argv[2]) if len(sys.argv) > 2 else 1.0))
