"""Signaling capacity through the load balancer of deploy/cluster.py: idle WebSockets held per web
process and memory per connection, new connections accepted per second by one web process, and
chat fan-out latency to the participants of one meeting on two web processes and on one.

    SECRET_KEY=x .venv/bin/python bench/signaling.py [--connections 2000] [--rate-connections 1000]

Real parts: deploy/cluster.py (Caddy least_conn, 2 web processes, 1 SFU worker, no transcribers,
no Celery), once per web server of --servers (default Daphne, uvicorn, Granian; docs/signaling.md), on a
PostgreSQL database this bench creates and drops (server from BENCH_POSTGRES, default
postgres://postgres@127.0.0.1:5432) and Redis (REDIS_URL) under a prefix of its own. Clients are
``websockets`` clients in child processes (bench/_signaling.py), all on 127.0.0.1, timed with
time.time() on this one machine. Memory: RSS of each web process from /proc before and after; the
connections each one holds: its socket descriptors.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._signaling import hold, participants, raise_fd_limit  # noqa: E402

MP = multiprocessing.get_context("spawn")  # children without this process's Django or sockets
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = f"bench_signaling_{os.getpid()}"
ENV = {
    "DJANGO_SETTINGS_MODULE": "conference.settings",
    "DATABASE_URL": f"{POSTGRES}/{DB_NAME}",
    "REDIS_PREFIX": f"bench-sig-{os.getpid()}",
    "SECRET_KEY": os.environ.get("SECRET_KEY", "x") + secrets.token_hex(32),  # not the dev key
    "DEBUG": "False",  # as deployed (DEBUG keeps every query in memory)
    "CAPTIONS_ENABLED": "False",
    "ROOM_MAX_PARTICIPANTS": "1000",
    "SFU_MAX_PARTICIPANTS_PER_MEETING": "1000",
    "SFU_MAX_PARTICIPANTS_PER_WORKER": "1000",
    "CLUSTER_HEALTH_URI": os.environ.get("CLUSTER_HEALTH_URI", "/accounts/login/"),
}


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{POSTGRES}/postgres", "-q", "-c", sql], check=True, timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def sockets_of(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except FileNotFoundError:  # closed while we counted
            pass
    return count


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(ports: list[int], quiet: float = 5.0) -> None:
    """Wait (bounded) until each web answers a page promptly, then for the load balancer's health
    checks (every 2 s) to see it up again: a web swamped by the rate test may be marked down."""
    import urllib.request

    deadline = time.monotonic() + 60
    for port in ports:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).read()
                if time.monotonic() - started < 0.5:
                    break
            except OSError:
                pass
            time.sleep(0.5)
    time.sleep(quiet)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


class Cluster:
    """deploy/cluster.py as a child: its `cluster ready` line gives each process's pid and port."""

    def __init__(
        self, webs: int, run_dir: Path, server: str, env: dict[str, str], balancers: int = 1
    ) -> None:
        self.port = free_port()
        argv = [sys.executable, str(ROOT / "deploy" / "cluster.py"), "--port", str(self.port)]
        argv += ["--web-server", server, "--balancers", str(balancers)]
        argv += ["--webs", str(webs), "--sfus", "1", "--transcribers", "0", "--no-celery"]
        argv += ["--run-dir", str(run_dir)]
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env={**os.environ, **ENV, **env}, stdout=subprocess.PIPE, text=True
        )
        self.layout: dict[str, dict[str, int]] = {}
        deadline = time.monotonic() + 240
        assert self.proc.stdout is not None
        while time.monotonic() < deadline and self.proc.poll() is None:
            line = self.proc.stdout.readline()
            if line.startswith("cluster ready: "):
                self.layout = json.loads(line.removeprefix("cluster ready: "))
                return
        raise RuntimeError(f"the cluster did not start; logs in {run_dir}")

    def webs(self) -> dict[str, dict[str, int]]:
        return {n: v for n, v in self.layout.items() if n.startswith("web-")}

    def balancer_ports(self) -> list[int]:
        return [v["port"] for n, v in self.layout.items() if n == "lb" or n.startswith("lb-")]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# The handshake as it was before the session cache and the connection pool (issue 10: ~48 per second).
BEFORE = {"DATABASE_POOL": "False", "SESSION_ENGINE": "django.contrib.sessions.backends.db"}


def lone_web(
    env: dict[str, str], log: Path, tree: Path = ROOT, server: str = "daphne"
) -> tuple[subprocess.Popen[bytes], int]:
    """One more web process, outside the load balancer, with settings of its own, from the
    checkout ``tree`` (another one: the code before a change, measured in the same run)."""
    port = free_port()
    if server in ("granian", "uvicorn"):  # as deploy/cluster.py starts each
        argv = [sys.executable, "-m", f"conference.{server}_web", "--host", "127.0.0.1", "--port", str(port)]
    else:
        argv = [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
        argv += ["conference.asgi:application"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=tree, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"daphne did not listen; see {log}")


def setup_people(count: int) -> tuple[str, list[str]]:
    """A members-only room and ``count`` signed-in members: (room slug, their session cookies)."""
    import django

    django.setup()
    from django.test import Client

    from accounts.models import Membership, Organization, User
    from rooms import services

    org = Organization.objects.create(name="Bench", slug="bench")
    users = User.objects.bulk_create(
        [User(username=f"u{i}", display_name=f"Person {i}", password="!") for i in range(count)]
    )
    Membership.objects.bulk_create([Membership(organization=org, user=u) for u in users])
    room = services.create_room(organization=org, name="Bench room", created_by=users[0])
    cookies = []
    for u in users:
        client = Client()
        client.force_login(u)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")
    return room.slug, cookies


def web_channels(slug: str) -> dict[str, int]:
    """Present participants per web process (the process part of their channel names)."""
    from rooms.models import Participant

    names = Participant.objects.filter(meeting__room__slug=slug, left_at__isnull=True).values_list(
        "channel_name", flat=True
    )
    counts: dict[str, int] = {}
    for name in names:
        counts[name.split("!")[0]] = counts.get(name.split("!")[0], 0) + 1
    return counts


def collect(results: Any, n: int, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    return [results.get(timeout=max(0.1, deadline - time.monotonic())) for _ in range(n)]


def join_children(procs: list[Any]) -> None:
    for p in procs:
        p.join(60)
        if p.is_alive():
            p.kill()
            p.join(5)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def idle(cluster: Cluster, path: str, cookies: list[str], n: int, procs_n: int) -> dict[str, float]:
    """Hold ``n`` idle sockets through the load balancers (each client process on one of them,
    as many processes on each); the least held by one web process and the most kB of RSS per
    connection among them."""
    webs = cluster.webs()
    before = {name: (rss_kb(w["pid"]), sockets_of(w["pid"])) for name, w in webs.items()}
    release, results = MP.Event(), MP.Queue()
    lbs = cluster.balancer_ports()
    procs_n = len(lbs) * -(-procs_n // len(lbs))  # a multiple of the balancers: equal shares
    share, start_at = n // procs_n, time.time() + 1
    urls = [f"ws://127.0.0.1:{lbs[i % len(lbs)]}{path}" for i in range(procs_n)]
    at_once = max(1, IDLE_HANDSHAKES_AT_ONCE // procs_n)
    # A failed open is tried again (twice): what is measured here is what a web holds; a web
    # busy with hundreds of handshakes answers the load balancer's health check late and is
    # marked down for a moment (Caddy: "no upstreams available"), which the rate test reports.
    job = (cookies, share, at_once, start_at, results, release, 2)
    procs = [MP.Process(target=hold, args=(u, *job)) for u in urls]
    for p in procs:
        p.start()
    try:
        got = collect(results, procs_n, 900)
        time.sleep(3)  # the last handshakes settle on the server side
        opened = sum(r["opened"] for r in got)
        failures = sum(r["failures"] for r in got)
        print(
            f"idle: {opened} connections open through {len(lbs)} load balancer(s) ({failures} failed), load {load()}"
        )
        held_min, kb_max = float("inf"), 0.0
        for name, w in webs.items():
            rss0, sock0 = before[name]
            held = sockets_of(w["pid"]) - sock0
            grown = rss_kb(w["pid"]) - rss0
            per = grown / held if held else float("nan")
            print(
                f"  {name}: {held} connections held, RSS {rss0 / 1024:.0f} -> {(rss0 + grown) / 1024:.0f} MB, {per:.1f} kB per connection"
            )
            held_min, kb_max = min(held_min, held), max(kb_max, per)
        return {"held": held_min, "kb": kb_max}
    finally:
        release.set()
        join_children(procs)


def rate(url: str, label: str, cookies: list[str], args: argparse.Namespace, pid: int) -> tuple[float, float]:
    """Open args.rate_connections sockets to one web process, args.concurrency at a time:
    (accepted per second, that process's CPU ms per connection)."""
    n, concurrency, procs_n = args.rate_connections, args.concurrency, args.client_processes
    release, results = MP.Event(), MP.Queue()
    cpu0 = cpu_seconds(pid)
    start_at = time.time() + 1.5
    procs = [
        MP.Process(
            target=hold, args=(url, cookies, n // procs_n, concurrency // procs_n, start_at, results, release)
        )
        for _ in range(procs_n)
    ]
    for p in procs:
        p.start()
    try:
        got = collect(results, procs_n, 900)
        cpu = cpu_seconds(pid) - cpu0
    finally:
        release.set()
        join_children(procs)
    opened = sum(r["opened"] for r in got)
    seconds = max(r["ended"] for r in got) - min(r["began"] for r in got)
    per_second = opened / seconds
    failed = sum(r["failures"] for r in got)
    print(
        f"accept rate{label}: {opened} connections in {seconds:.2f} s, {concurrency} at a time = {per_second:.0f} per second ({failed} failed), web CPU {1000 * cpu / max(1, opened):.2f} ms per connection, load {load()}"
    )
    return per_second, 1000 * cpu / max(1, opened)


def fanout(
    url: str, slug: str, cookies: list[str], procs_n: int, messages: int
) -> tuple[float, float, dict[str, int]]:
    results, go, done = MP.Queue(), MP.Event(), MP.Event()
    receivers = cookies[1:]
    shares = [receivers[i::procs_n] for i in range(procs_n)]
    procs = [
        MP.Process(target=participants, args=(url, [cookies[0]], results, go, done, True, messages, 0.2))
    ]
    procs += [MP.Process(target=participants, args=(url, s, results, go, done, False, 0, 0)) for s in shares]
    for p in procs:
        p.start()
    try:
        joined = collect(results, len(procs), 300)
        where = web_channels(slug)
        go.set()
        procs[0].join(messages * 0.2 + 30)
        done.set()
        got = collect(results, len(procs), 120)
    finally:
        go.set()
        done.set()
        join_children(procs)
    warm = 3  # the first messages warm caches and connections
    latencies = [1000 * x for r in got for i, x in r.get("latencies", []) if i >= warm]
    expected = (messages - warm) * len(receivers)
    print(
        f"  {sum(r['joined'] for r in joined)} joined, {len(latencies)}/{expected} stamped messages received"
    )
    return pct(latencies, 0.5), pct(latencies, 0.95), where


def forget_redis_keys() -> None:
    import redis

    r = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=10)
    for key in r.scan_iter(f"{ENV['REDIS_PREFIX']}*", count=1000):
        r.delete(key)


# Idle connections per Caddy instance: two descriptors each, under the hard open-file limit of
# a process here (20,000, which cannot be raised), with room for the rest.
PER_BALANCER = 8000
# Handshakes in flight while the idle sockets open, over all client processes: more only queue
# up on a loaded machine until the clients' 30 s open timeout fails them.
IDLE_HANDSHAKES_AT_ONCE = 120


def balancers(args: argparse.Namespace) -> int:
    return args.balancers or max(1, -(-args.connections // PER_BALANCER))


# "daphne/local" in --servers: that server with conference.channel_layer's one reader per process
# (CHANNEL_LAYER_LOCAL_RECEIVE=True); "/channels-redis": channels-redis's own receive.
VARIANTS = {
    "local": {"CHANNEL_LAYER_LOCAL_RECEIVE": "True"},
    "channels-redis": {"CHANNEL_LAYER_LOCAL_RECEIVE": "False"},
}


def one_server(
    spec: str, args: argparse.Namespace, run_dir: Path, people: tuple[str, list[str]], first: bool
) -> dict[str, float]:
    """Every figure for one web server (``server[/variant]``), on a cluster of its own (same
    database and people)."""
    print(f"\n== web server: {spec} ==", flush=True)
    server, _, variant = spec.partition("/")
    slug, cookies = people
    env = VARIANTS[variant] if variant else {}
    cluster = Cluster(2, run_dir / spec.replace("/", "-"), server, env, balancers(args))
    figures: dict[str, float] = {}
    try:
        lb = f"ws://127.0.0.1:{cluster.port}/ws/rooms/{slug}/"
        web1 = f"ws://127.0.0.1:{cluster.webs()['web-1']['port']}/ws/rooms/{slug}/"
        if "idle" in args.parts:
            figures.update(
                idle(cluster, f"/ws/rooms/{slug}/", cookies, args.connections, args.client_processes)
            )
        if "rate" in args.parts:
            figures.update(rates(cluster, slug, cookies, args, run_dir, server, first))
        if "fanout" in args.parts:
            figures.update(fanouts(cluster, lb, web1, slug, cookies, args, server))
    finally:
        cluster.stop()
    return figures


def rates(
    cluster: Cluster,
    slug: str,
    cookies: list[str],
    args: argparse.Namespace,
    run_dir: Path,
    server: str,
    first: bool,
) -> dict[str, float]:
    """web-1's accept rate, after the lone Daphnes of the comparisons asked for (same run)."""
    lone: list[tuple[str, dict[str, str], Path, str]] = []
    if first and args.before:
        lone.append((" before (Daphne, database sessions, no pool)", BEFORE, ROOT, "daphne"))
    for tree in filter(None, args.compare_tree.split(",")):
        lone.append((f" of {tree} ({server}, lone)", {}, Path(tree), server))
    for i, (label, env, tree, kind) in enumerate(lone):
        proc, port = lone_web(env, run_dir / f"web-lone-{i}.log", tree, kind)
        try:
            rate(f"ws://127.0.0.1:{port}/ws/rooms/{slug}/", label, cookies, args, proc.pid)
        finally:
            proc.terminate()
            proc.wait(15)
    web1 = cluster.webs()["web-1"]
    url = f"ws://127.0.0.1:{web1['port']}/ws/rooms/{slug}/"
    spy = None
    if args.py_spy:  # py-spy's collapsed stacks of web-1 during its rate test (docs/signaling.md)
        argv = ["py-spy", "record", "-p", str(web1["pid"]), "-f", "raw", "-r", "250", "-t", "-o", args.py_spy]
        spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    per_second, cpu_ms = rate(url, f" of web-1 ({server})", cookies, args, web1["pid"])
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    settle([w["port"] for w in cluster.webs().values()])
    return {"rate": per_second, "cpu_ms": cpu_ms}


def fanouts(
    cluster: Cluster, lb: str, web1: str, slug: str, cookies: list[str], args: argparse.Namespace, server: str
) -> dict[str, float]:
    """Chat fan-out through the load balancer (two web processes), then to web-1 alone."""
    p50, p95, where = fanout(lb, slug, cookies, args.client_processes, args.messages)
    print(
        f"chat fan-out ({server}) to {args.participants} on {len(where)} web processes {sorted(where.values())}: p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    settle([w["port"] for w in cluster.webs().values()])
    q50, q95, where1 = fanout(web1, slug, cookies, args.client_processes, args.messages)
    print(
        f"chat fan-out ({server}) to {args.participants} on {len(where1)} web process: p50 {q50:.1f} ms, p95 {q95:.1f} ms, ratio p95 one/two {q95 / p95:.2f}"
    )
    return {"two_p50": p50, "two_p95": p95, "one_p50": q50, "one_p95": q95}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=2000, help="idle connections to hold")
    parser.add_argument("--rate-connections", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes at a time in the rate test")
    parser.add_argument(
        "--balancers",
        type=int,
        default=0,
        help=f"Caddy instances in front (0: one per {PER_BALANCER} idle connections, for the open-file limit)",
    )
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument(
        "--servers",
        default="daphne,uvicorn,granian",
        help="web servers to compare, one cluster each, in this order; daphne/local: with "
        "conference.channel_layer's one reader per process (docs/signaling.md)",
    )
    parser.add_argument(
        "--no-before",
        dest="before",
        action="store_false",
        help="skip the handshake rate before the session cache",
    )
    parser.add_argument(
        "--compare-tree",
        default="",
        help="other checkouts, comma-separated (e.g. git worktrees of the commits before a change): the rate of a lone web process of each, before web-1's, in the same run",
    )
    parser.add_argument(
        "--py-spy", default="", help="record web-1 with py-spy (on PATH) during its rate test, to this file"
    )
    parser.add_argument(
        "--parts", default="idle,rate,fanout", help="which figures: idle, rate, fanout (comma-separated)"
    )
    args = parser.parse_args()
    args.parts = {p.strip() for p in args.parts.split(",")}
    limit = raise_fd_limit(2 * args.connections + 1024)  # Caddy: two sockets per connection
    if 2 * -(-args.connections // balancers(args)) + 1024 > limit:
        print(f"fd limit {limit}: too few balancers ({balancers(args)}) for {args.connections} connections")
        return 2
    print(f"fd limit (RLIMIT_NOFILE) for the cluster: {limit}; load {load()}")
    os.environ.update(ENV)
    run_dir = Path(tempfile.mkdtemp(prefix="bench-signaling-"))
    psql(f"CREATE DATABASE {DB_NAME}")
    results: dict[str, dict[str, float]] = {}
    try:
        migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
        subprocess.run(migrate, cwd=ROOT, env={**os.environ, **ENV}, check=True, timeout=300)
        people = setup_people(args.participants + 1)  # the same people for every server
        for i, server in enumerate(s.strip() for s in args.servers.split(",")):
            (run_dir / server.replace("/", "-")).mkdir()
            results[server] = one_server(server, args, run_dir, people, first=i == 0)
            forget_redis_keys()
        print(f"\nside by side (load {load()}):")
        print(
            "  server                 held/web  kB/conn  accepts/s  CPU ms/conn  two p50/p95 ms  one p50/p95 ms"
        )
        nan = float("nan")
        for server, f in results.items():
            f = {
                k: f.get(k, nan)
                for k in ("held", "kb", "rate", "cpu_ms", "two_p50", "two_p95", "one_p50", "one_p95")
            }
            print(
                f"  {server:22} {f['held']:8.0f} {f['kb']:8.1f} {f['rate']:10.0f} {f['cpu_ms']:12.2f}"
                f"  {f['two_p50']:6.1f}/{f['two_p95']:<6.1f}  {f['one_p50']:6.1f}/{f['one_p95']:<6.1f}"
            )
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        forget_redis_keys()
    return 0


if __name__ == "__main__":
    sys.exit(main())
