"""Run the whole system on one machine: migrations, a private Redis when REDIS_URL is not set,
Daphne (web + signaling), the SFU worker, a transcription worker and a Celery worker (with beat).

    make run            (creates the venv first)
    .venv/bin/python deploy/run.py

Ctrl-C (or SIGTERM) stops every process. In production run the Procfile's processes under a
process manager instead, and scale each type on its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def main() -> int:
    os.chdir(ROOT)
    RUN_DIR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
    env.setdefault("DEBUG", "True")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("SFU_ALLOW_PRIVATE_CANDIDATES", "True")  # a first run is on loopback or a LAN
    port = int(env.get("PORT", "8000"))
    procs: list[tuple[str, subprocess.Popen]] = []

    if not env.get("REDIS_URL"):
        redis = shutil.which("redis-server")
        if redis is None:
            print("REDIS_URL is not set and redis-server is not installed (apt-get install redis-server).")
            return 1
        rport = free_port()
        procs.append(
            (
                "redis",
                subprocess.Popen(
                    [
                        redis,
                        "--port",
                        str(rport),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        str(RUN_DIR),
                        "--logfile",
                        str(RUN_DIR / "redis.log"),
                    ],
                ),
            )
        )
        if not wait_for_port(rport, 10):
            print("The private Redis did not start; see .run/redis.log")
            return 1
        env["REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
        print(f"Started a private Redis on 127.0.0.1:{rport}")

    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, check=True)

    commands = {
        "web": [
            PY,
            "-m",
            "daphne",
            "-v",  # no Daphne access log: it prints paths, and room links carry tokens
            "0",
            "-b",
            env.get("BIND", "127.0.0.1"),
            "-p",
            str(port),
            "conference.asgi:application",
        ],
        "sfu": [PY, "manage.py", "runsfu"],
        "transcriber": [PY, "manage.py", "runtranscriber"],
        # -B: the one worker also runs the beat scheduler (housekeeping); in production run one
        # `celery beat` process (the Procfile's `beat`) instead.
        "celery": [
            PY,
            "-m",
            "celery",
            "-A",
            "conference",
            "worker",
            "-B",
            "--schedule",
            str(RUN_DIR / "celerybeat-schedule"),
            "--loglevel=WARNING",
            "--concurrency=1",
        ],
    }
    for name, cmd in commands.items():
        procs.append((name, subprocess.Popen(cmd, env=env)))

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    if wait_for_port(port, 30):
        print(
            f"\n  Open http://localhost:{port}/\n"
            "  Sign up for an account there (or `.venv/bin/python manage.py createsuperuser` for /admin/),\n"
            "  create a room, and share its link. Ctrl-C stops everything.\n",
            flush=True,
        )
    exit_code = 0
    while not stopping:
        for name, p in procs:
            if p.poll() is not None:
                print(f"{name} exited with {p.returncode}; stopping everything.")
                stopping, exit_code = True, 1
                break
        time.sleep(0.5)

    for _, p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _, p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
