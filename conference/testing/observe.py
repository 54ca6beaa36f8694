"""Test support for observability: capture this process's log lines as a process would write
them, and read Prometheus text from a /metrics endpoint."""

from __future__ import annotations

import io
import json
import logging
import urllib.request
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from conference import logs

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Capture:
    """A handler with the settings' filters, formatted as a process would (JSON or plain)."""

    def __init__(
        self, fmt: str = "json", logger: str = "", kind: str = "web", level: int = logging.DEBUG
    ) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(logs.ContextFilter(kind=kind))
        self.handler.addFilter(logs.RedactFilter())
        plain = "%(levelname)s %(process_kind)s %(name)s%(ids)s: %(message)s"
        self.handler.setFormatter(
            logs.JsonFormatter("%(message)s") if fmt == "json" else logs.PlainFormatter(plain)
        )
        self.logger = logging.getLogger(logger)
        self.level = self.logger.level
        self.capture_level = level

    def __enter__(self) -> Capture:
        self.logger.addHandler(self.handler)
        self.logger.setLevel(self.capture_level)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines of a process's output (other lines, e.g. a library's print, skipped)."""
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def parse(text: str) -> Samples:
    """Prometheus text -> {(sample name, sorted labels): value}."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def scrape(url: str, timeout: float = 5.0) -> Samples:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return parse(response.read().decode())


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent: a labelled counter not yet incremented)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
