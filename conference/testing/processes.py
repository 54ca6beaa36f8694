"""``WorkerProcess``: a worker subprocess (runsfu, runtranscriber, a Celery worker, a bench role).

It starts with the given environment, waits (bounded) for a readiness line in its output, stops
with SIGTERM and then SIGKILL after a bound, and keeps its output (stdout and stderr together) for
failure messages. As a context manager it starts, waits until ready, and stops::

    with WorkerProcess.manage("sfu", "runsfu", env={...}, ready=r"\\bready\\b") as sfu:
        ...

Importable without Django being set up (the bench scripts use it before they set it up).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0  # seconds; loading Whisper on 2 shared cores is the slowest start


class WorkerProcess:
    """One subprocess and its output. ``ready`` is a regular expression (case-insensitive)."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: Mapping[str, str] | None = None,
        ready: str | None = None,
        ready_timeout: float = READY_TIMEOUT,
        own_session: bool = False,
        cwd: Path = ROOT,
        stdin: bool = False,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        # A worker of a test run is given its database in DATABASE_URL (see worker_environment()).
        self.env.pop("TEST_DATABASE_NAME", None)
        self.ready_re = re.compile(ready, re.IGNORECASE) if ready else None
        self.ready_timeout = ready_timeout
        self.own_session = own_session  # signals go to its whole process group (Celery's children)
        self.cwd = cwd
        self.stdin = stdin  # a pipe for send_line() (a bench role driven line by line)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ready = False
        self._eof = False
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @classmethod
    def manage(
        cls,
        name: str,
        *args: str,
        env: Mapping[str, str] | None = None,
        ready: str | None = None,
        ready_timeout: float = READY_TIMEOUT,
    ) -> WorkerProcess:
        """A ``manage.py`` command of this project."""
        argv = [sys.executable, str(ROOT / "manage.py"), *args]
        return cls(name, argv, env=env, ready=ready, ready_timeout=ready_timeout)

    # --- life ---------------------------------------------------------------------------------

    def start(self) -> Self:
        if self.proc is not None:
            raise RuntimeError(f"{self.name} already started")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.PIPE if self.stdin else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            errors="replace",
            start_new_session=self.own_session,
        )
        self._reader = threading.Thread(target=self._read, name=f"{self.name}-output", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                if not self._ready and self.ready_re is not None and self.ready_re.search(line):
                    self._ready = True
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Until the readiness line is printed; raises (with the output) if it exits or times out."""
        if self.ready_re is None:
            raise RuntimeError(f"{self.name} has no readiness line to wait for")
        timeout = self.ready_timeout if timeout is None else timeout
        with self._changed:
            if not self._changed.wait_for(lambda: self._ready or self._eof, timeout):
                raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.tail()}")
        if not self._ready:
            self.wait(10)
            raise RuntimeError(
                f"{self.name} exited with {self.returncode} before it was ready:\n{self.tail()}"
            )

    def wait_for_output(self, pattern: str, timeout: float) -> str:
        """The first line of output matching ``pattern`` (printed before or after this call)."""
        regex = re.compile(pattern, re.IGNORECASE)

        def found() -> str | None:
            return next((line for line in self.lines if regex.search(line)), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None or self._eof, timeout):
                raise AssertionError(f"no {pattern!r} from {self.name} after {timeout:.0f} s:\n{self.tail()}")
            line = found()
        if line is None:
            raise AssertionError(f"{self.name} exited without printing {pattern!r}:\n{self.tail()}")
        return line

    def send_line(self, line: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None, "started with stdin=True"
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig: int) -> None:
        if not self.running:
            return
        if self.own_session:
            os.killpg(self.pid, sig)
        else:
            assert self.proc is not None
            self.proc.send_signal(sig)

    def terminate(self) -> None:
        """SIGTERM: the worker finishes what it has in hand and exits."""
        self.send_signal(signal.SIGTERM)

    def kill(self, timeout: float = 10) -> int | None:
        """SIGKILL (a crash, as far as the rest of the system can tell), then wait for the exit."""
        self.send_signal(signal.SIGKILL)
        return self.wait(timeout)

    def wait(self, timeout: float) -> int | None:
        """The exit status, once exited within ``timeout`` s (subprocess.TimeoutExpired if not)."""
        if self.proc is None:
            return None
        code = self.proc.wait(timeout)
        if self._reader is not None:
            self._reader.join(5)
        return code

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM; SIGKILL if it has not exited after ``timeout`` s. Returns the exit status."""
        if self.proc is None:
            return None
        if self.running:
            self.terminate()
            try:
                return self.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"{self.name} ignored SIGTERM for {timeout:.0f} s: killed", file=sys.stderr)
        if self.running:
            self.kill(5)
        return self.wait(5)

    def __enter__(self) -> Self:
        if self.proc is None:
            self.start()
        if self.ready_re is not None:
            try:
                self.wait_ready()
            except BaseException:
                self.stop()
                raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- output -------------------------------------------------------------------------------

    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def tail(self, n: int = 60) -> str:
        with self._changed:
            return "\n".join(self.lines[-n:])

    def count(self, text: str) -> int:
        """How many times ``text`` occurs in the output so far."""
        return self.output().count(text)


def database_url() -> str:
    """The test database as a URL, for worker subprocesses (settings are env-driven)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    engine = db["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    if "postgresql" not in engine:
        raise RuntimeError(f"Worker processes need PostgreSQL or a SQLite file, not {engine}")
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


def worker_environment() -> dict[str, str]:
    """Environment of a worker that shares the test run's database and Redis prefix."""
    from django.conf import settings

    return {
        "DATABASE_URL": database_url(),
        "REDIS_PREFIX": settings.REDIS_PREFIX,
        "REDIS_URL": settings.REDIS_URL,
    }
