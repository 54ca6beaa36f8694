"""Run the distributed deployment on one machine: Caddy in front of several web processes (Daphne;
Granian or uvicorn with --web-server granian|uvicorn or WEB_SERVER, docs/signaling.md), several
SFU workers, several transcribers, a Celery worker and Celery beat, all on one Redis and one
database. The processes find each other only through Redis and the database, exactly as on many
machines; only the addresses differ.

    .venv/bin/python deploy/cluster.py --port 8080 [--webs 2 --sfus 2 --transcribers 2] [--no-celery]

Needs DATABASE_URL (PostgreSQL: several processes write at once) and a Redis (REDIS_URL, default
127.0.0.1:6379); runs migrations first. Prints one line `cluster ready: {json}` with each process's
pid and port (the tests read it), then the URL. Processes that die are reported, not restarted
(tests kill them on purpose); Ctrl-C or SIGTERM stops everything.

Why Caddy: one static binary from Debian, WebSockets proxied without configuration, active
health checks, and the same server does automatic HTTPS in deploy/compose. ``least_conn``
balancing: a WebSocket is a long connection, so the next person goes to the process holding
the fewest; nothing is sticky (any web process serves any request of any meeting).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from run import free_port, wait_for_port  # deploy/run.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

CADDYFILE = """{{
\tauto_https off
\tadmin off
}}

http://localhost:{port}, http://127.0.0.1:{port} {{
\treverse_proxy {upstreams} {{
\t\tlb_policy least_conn
\t\t# A process that died: the next one is tried for this long, so a reconnect never sees it.
\t\tlb_try_duration 5s
\t\tlb_try_interval 100ms
\t\tfail_duration 10s
\t\thealth_uri {health_uri}
\t\thealth_interval 2s
\t\thealth_timeout 2s
\t}}
}}
"""


WEB_SERVERS = ("granian", "daphne", "uvicorn")
DEFAULT_WEB_SERVER = "daphne"  # Granian holds ~150 kB per idle WebSocket (docs/signaling.md)


def web_command(server: str, port: int) -> list[str]:
    """One web process on 127.0.0.1:port. Neither writes an access log (room links carry
    tokens); the web's own access lines name the URL pattern (conference.middleware)."""
    if server == "granian":  # in this process, so its pid is the serving one (conference.granian_web)
        return [PY, "-m", "conference.granian_web", "--host", "127.0.0.1", "--port", str(port)]
    if server == "uvicorn":  # with wsproto, one process too (conference.uvicorn_web)
        return [PY, "-m", "conference.uvicorn_web", "--host", "127.0.0.1", "--port", str(port)]
    if server == "daphne":
        return [
            PY,
            "-m",
            "daphne",
            "-v",
            "0",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "conference.asgi:application",
        ]
    raise ValueError(f"unknown web server {server!r}; one of {WEB_SERVERS}")


# Each idle WebSocket is one descriptor in its web process and two in Caddy: the default soft
# limit (1,024) would stop a web process near 1,000 connections. The children inherit this.
FD_LIMIT = 65536


def raise_fd_limit(want: int) -> int:
    """Soft (and, as root, hard) RLIMIT_NOFILE to at least ``want``; the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):  # not root: as far as the hard limit goes
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Cluster:
    def __init__(
        self,
        *,
        port: int,
        webs: int,
        sfus: int,
        transcribers: int,
        run_dir: Path,
        celery: bool = True,
        web_server: str = "",
        balancers: int = 1,
    ) -> None:
        self.port, self.run_dir, self.celery = port, run_dir, celery
        self.balancers = balancers
        self.web_server = web_server or os.environ.get("WEB_SERVER", DEFAULT_WEB_SERVER)
        for old in run_dir.glob("*.log"):
            old.unlink()  # a fresh log per run: readiness is read from it
        self.counts = {"web": webs, "sfu": sfus, "transcriber": transcribers}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "conference.settings",
            "TRUSTED_PROXY_HOPS": os.environ.get("TRUSTED_PROXY_HOPS", "1"),  # Caddy
        }
        self.env.setdefault("SFU_HOST_ADDRESSES", "127.0.0.1")
        self.env.setdefault("SFU_ALLOW_PRIVATE_CANDIDATES", "True")

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        self.procs[name] = subprocess.Popen(
            argv, cwd=ROOT, env={**self.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
        )

    def start(self) -> None:
        subprocess.run(
            [PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env, check=True
        )
        for i in range(1, self.counts["web"] + 1):
            port = self.ports[f"web-{i}"] = free_port()
            self.spawn(f"web-{i}", web_command(self.web_server, port))
        for i in range(1, self.counts["sfu"] + 1):
            self.spawn(f"sfu-{i}", [PY, "manage.py", "runsfu", "--worker-id", f"sfu-{i}-{os.getpid()}"])
        for i in range(1, self.counts["transcriber"] + 1):
            self.spawn(f"transcriber-{i}", [PY, "manage.py", "runtranscriber"])
        if self.celery:
            celery = [PY, "-m", "celery", "-A", "conference"]
            self.spawn("celery", [*celery, "worker", "--loglevel=INFO", "--concurrency=1"])
            schedule = str(self.run_dir / "celerybeat-schedule")
            self.spawn("beat", [*celery, "beat", "--loglevel=INFO", "--schedule", schedule])
        upstreams = " ".join(f"127.0.0.1:{p}" for n, p in self.ports.items() if n.startswith("web-"))
        health = os.environ.get("CLUSTER_HEALTH_URI", "/healthz")
        caddy = shutil.which("caddy") or "caddy"
        # More than one Caddy in front (--balancers, each on a port of its own, the same
        # upstreams): a Caddy holds two descriptors per WebSocket, so past ~9,000 sockets one
        # instance meets the hard open-file limit of its process before the web processes do.
        for i in range(self.balancers):
            name, port = ("lb", self.port) if i == 0 else (f"lb-{i + 1}", free_port())
            caddyfile = self.run_dir / ("Caddyfile" if i == 0 else f"Caddyfile-{i + 1}")
            caddyfile.write_text(CADDYFILE.format(port=port, upstreams=upstreams, health_uri=health))
            self.spawn(name, [caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile"])
            self.ports[name] = port
        for name, port in self.ports.items():
            if not wait_for_port(port, 60):
                raise RuntimeError(f"{name} does not listen on {port}; see {self.run_dir / (name + '.log')}")
        # The workers say when they are ready (the transcribers load their model first).
        for name in self.procs:
            if name.startswith(("sfu-", "transcriber-", "celery")):
                self.wait_for_log(name, "ready", timeout=180)

    def wait_for_log(self, name: str, text: str, timeout: float) -> None:
        log, deadline = self.run_dir / f"{name}.log", time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in log.read_text(errors="replace"):
                return
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {self.procs[name].returncode}; see {log}")
            time.sleep(0.3)
        raise RuntimeError(f"{name} not ready after {timeout:.0f} s; see {log}")

    def layout(self) -> dict[str, dict[str, int]]:
        return {name: {"pid": p.pid, "port": self.ports.get(name, 0)} for name, p in self.procs.items()}

    def stop(self) -> None:
        for p in reversed(list(self.procs.values())):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--sfus", type=int, default=2)
    parser.add_argument("--transcribers", type=int, default=2)
    parser.add_argument(
        "--no-celery", dest="celery", action="store_false", help="no Celery worker and beat (benchmarks)"
    )
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".run" / "cluster")
    parser.add_argument(
        "--balancers",
        type=int,
        default=1,
        help="Caddy instances in front, the first on --port, the others on free ports (layout: lb-2, ...)",
    )
    parser.add_argument(
        "--web-server",
        choices=WEB_SERVERS,
        default=os.environ.get("WEB_SERVER", DEFAULT_WEB_SERVER),
        help="what serves the web processes (env WEB_SERVER)",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database: several processes write to it at once.")
        return 2
    args.run_dir.mkdir(parents=True, exist_ok=True)
    fd_limit = raise_fd_limit(FD_LIMIT)
    cluster = Cluster(
        port=args.port,
        webs=args.webs,
        sfus=args.sfus,
        transcribers=args.transcribers,
        run_dir=args.run_dir,
        celery=args.celery,
        web_server=args.web_server,
        balancers=args.balancers,
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        cluster.start()
        print(f"web server: {cluster.web_server}, fd limit {fd_limit}", flush=True)
        print(f"cluster ready: {json.dumps(cluster.layout())}", flush=True)
        print(
            f"\n  Open http://localhost:{args.port}/  (logs in {args.run_dir}). Ctrl-C stops everything.\n",
            flush=True,
        )
        reported: set[str] = set()
        while not stopping:
            for name, p in cluster.procs.items():
                if p.poll() is not None and name not in reported:
                    reported.add(name)
                    print(f"{name} exited with {p.returncode}", flush=True)
            time.sleep(0.2)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
