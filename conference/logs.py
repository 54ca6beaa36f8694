"""Log lines of every process: correlation ids from a contextvar, JSON or plain, secrets scrubbed.

``bind(meeting=..., participant=..., worker=..., request_id=...)`` sets ids for the current
context (an asyncio task, or a request's thread: asgiref copies contexts into threads), and every
record logged there carries them: ``ContextFilter`` puts them on the record, ``JsonFormatter``
writes them as fields, the plain format as ``[m=3 p=7 w=sfu-1]``. ``process`` says which kind of
process wrote the line (web, sfu, transcriber, celery, beat: settings.PROCESS_KIND).

``RedactFilter`` is the safety net: whatever a caller passes, SDP bodies, ICE credentials,
passwords and tokens in a log message are replaced before any handler writes it.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

IDS = ("request_id", "meeting", "participant", "worker")
_SHORT = {"request_id": "r", "meeting": "m", "participant": "p", "worker": "w"}

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_context", default={})  # noqa: B039  # never mutated


def bind(**ids: Any) -> contextvars.Token[dict[str, Any]]:
    """Add ids to the current context (None removes one); returns a token for ``unbind``."""
    merged = {**_context.get(), **ids}
    return _context.set({k: v for k, v in merged.items() if v is not None and v != ""})


def unbind(token: contextvars.Token[dict[str, Any]]) -> None:
    _context.reset(token)


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    token = bind(**ids)
    try:
        yield
    finally:
        unbind(token)


def current() -> dict[str, Any]:
    return dict(_context.get())


def process_kind(argv: list[str] | None = None) -> str:
    """Which process this is, from PROCESS_KIND or the command line."""
    if os.getenv("PROCESS_KIND"):
        return os.environ["PROCESS_KIND"]
    args = sys.argv if argv is None else argv
    words = {os.path.basename(a) for a in args}
    for command, kind in (("runsfu", "sfu"), ("runtranscriber", "transcriber"), ("test", "test")):
        if command in args[1:2]:
            return kind
    if "celery" in words or any(a.endswith("celery/__main__.py") for a in args):
        return "beat" if "beat" in args else "celery"
    servers = ("daphne", "granian", "uvicorn")
    if words & set(servers) or any(name in a for a in args[:2] for name in servers):
        return "web"
    return "web" if "runserver" in args else "manage"


# ------------------------------------------------------------------------------------- filters


class ContextFilter(logging.Filter):
    """Puts the bound ids and the process kind on every record (``extra=`` ids win)."""

    def __init__(self, name: str = "", kind: str = "") -> None:
        super().__init__(name)
        self.kind = kind or process_kind()

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_kind = self.kind
        ids = _context.get()
        for key in IDS:
            if getattr(record, key, None) in (None, "") and key in ids:
                setattr(record, key, ids[key])
        record.ids = "".join(
            f" {_SHORT[k]}={getattr(record, k)}" for k in IDS if getattr(record, k, None) not in (None, "")
        )
        if record.ids:
            record.ids = f" [{record.ids[1:]}]"
        return True


# An SDP body from its version line on, ICE credentials, key=value secrets, and the tokens in
# room, invitation and verification links (Django's own lines quote the path of a failed request).
_SECRETS = [
    (re.compile(r"(?<![\w.-])/(rooms|ws/rooms|invitations|accounts/verify)/[^/\s'\"]+/"), r"/\1/<token>/"),
    (re.compile(r"v=0(\\r\\n|\r\n|\n|\\n).*", re.S), "<sdp redacted>"),
    (re.compile(r"(a=ice-(?:ufrag|pwd):)\S+", re.I), r"\1<redacted>"),
    (re.compile(r"(ice-?(?:ufrag|pwd)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+", re.I), r"\1<redacted>"),
    (
        re.compile(
            r"((?:password|passwd|secret|token|sessionid|csrftoken|credential)['\"]?\s*[:=]\s*['\"]?)"
            r"[^\s'\",;&}]+",
            re.I,
        ),
        r"\1<redacted>",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactFilter(logging.Filter):
    """Scrubs the final message (arguments merged in); the formatters scrub tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if getattr(record, "request", None) is not None:  # django.request's extra: its repr has the path
            record.request = "<request>"
        return True


# ----------------------------------------------------------------------------------- formatter


class PlainFormatter(logging.Formatter):
    """The human-readable line; tracebacks scrubbed like messages (an exception may quote SDP)."""

    def formatException(self, ei: Any) -> str:  # noqa: N802  # logging's name
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return redact(super().formatStack(stack_info))


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: timestamp (UTC, ISO 8601), level, process, logger, message, ids."""

    def formatException(self, ei: Any) -> str:  # noqa: N802  # logging's name
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return redact(super().formatStack(stack_info))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("reserved_attrs", [*_RESERVED, "ids", "process_kind"])
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record["timestamp"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_record["level"] = record.levelname
        log_record["process"] = getattr(record, "process_kind", "")
        log_record["pid"] = record.process
        log_record["logger"] = record.name
        for key in IDS:
            value = getattr(record, key, None)
            if value not in (None, ""):
                log_record[key] = value


_RESERVED = [
    "args",
    "asctime",
    "created",
    "exc_info",
    "exc_text",
    "filename",
    "funcName",
    "levelname",
    "levelno",
    "lineno",
    "module",
    "msecs",
    "message",
    "msg",
    "name",
    "pathname",
    "process",
    "processName",
    "relativeCreated",
    "stack_info",
    "thread",
    "threadName",
    "taskName",
]


def logging_config(*, fmt: str, level: str, kind: str = "") -> dict[str, Any]:
    """The LOGGING dict of settings: one console handler, plain (default) or JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFilter, "kind": kind},
            "redact": {"()": RedactFilter},
        },
        "formatters": {
            "plain": {
                "()": PlainFormatter,
                "format": "%(asctime)s %(levelname)s %(process_kind)s %(name)s%(ids)s: %(message)s",
            },
            "json": {"()": JsonFormatter, "fmt": "%(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if fmt == "json" else "plain",
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "aioice": {"level": "WARNING"},
            "aiortc": {"level": "WARNING"},
            "daphne": {"level": "WARNING"},
            "uvicorn": {"level": "WARNING"},  # conference.uvicorn_web: its start lines are noise
            # Granian's own loggers (conference.granian_web) write through ours, not to stdout.
            "_granian": {"handlers": [], "level": "WARNING", "propagate": True},
            "granian.access": {"handlers": [], "level": "WARNING", "propagate": True},
            "django.request": {"level": "ERROR"},  # 403/404s are answered to the user, not logged
            # Django's own console handlers (DEBUG) would print each line twice, unscrubbed.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
            "django.channels.server": {"level": "WARNING"},
        },
    }
