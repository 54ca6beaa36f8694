"""Prometheus metrics of the signaling consumers (the web's /metrics, with django-prometheus's)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WEBSOCKETS = Gauge("meet_websocket_connections", "Open signaling WebSocket connections of this process")
CLIENT_MESSAGES = Counter("meet_client_messages", "Client messages received, by type", ["type"])
ERRORS = Counter("meet_errors", "Error frames sent to clients, by code", ["code"])
JOINS = Counter("meet_joins", "Participants who joined a meeting through this process")
