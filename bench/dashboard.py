"""The organization dashboard over 10,000 generated meetings: server time and query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test TEST_DATABASE_NAME=test_bench_dash \\
        SECRET_KEY=x .venv/bin/python bench/dashboard.py [--meetings N] [--trials N]

Makes a fresh test database, generates the meetings (dashboard.generate: 90 days, 8 rooms, about
3.5 participants, a chat message, and for half of them a transcript and a summary each), then
requests the dashboard through Django's test client (the whole request: middleware, session,
queries, template) for each range, ``--trials`` times each after one warm-up, and prints the
median and worst server time with the query count. Target: < 300 ms. The CSV downloads are timed
once each.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, get_runner  # noqa: E402

TARGET_MS = 300.0
VIEWS = [
    ("30 days per day (default)", {}),
    ("7 days per day", {"range": 7}),
    ("90 days per week", {"range": 90, "by": "week"}),
    ("90 days per day", {"range": 90}),
]


def bench(meetings: int, trials: int) -> bool:
    from conference.testing.base import create_named_users
    from dashboard.generate import generate
    from rooms.models import Room

    users = create_named_users()
    rooms = [
        users.room,
        *(Room.objects.create(organization=users.org, name=f"Room {i}", slug=f"room-{i}") for i in range(7)),
    ]
    started = time.monotonic()
    made = generate(organization=users.org, users=[users.alice, users.bob], rooms=rooms, meetings=meetings)
    print(
        f"generated {made.meetings} meetings, {made.participants} participants, {made.segments} segments, "
        f"{made.summaries} summaries in {time.monotonic() - started:.1f} s ({connection.vendor})"
    )
    with connection.cursor() as cursor:  # fresh statistics for the planner, as autovacuum would
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(users.alice)
    url = f"/organizations/{users.org.slug}/dashboard/"
    ok = True
    for label, query in VIEWS:
        assert client.get(url, query).status_code == 200  # warm-up
        times, queries = [], 0
        for _ in range(trials):
            with CaptureQueriesContext(connection) as q:
                t0 = time.perf_counter()
                response = client.get(url, query)
                times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
            queries = len(q)
        if os.getenv("BENCH_QUERIES"):
            for x in q.captured_queries:
                print(f"  {float(x['time']) * 1000:6.0f} ms  {x['sql'][:150]}")
        median = statistics.median(times)
        ok = ok and median < TARGET_MS
        load = os.getloadavg()[0]
        print(
            f"dashboard, {label}: median {median:.0f} ms, best {min(times):.0f} ms, worst {max(times):.0f} ms, "
            f"{queries} queries (target < {TARGET_MS:.0f} ms; load average {load:.1f} on {os.cpu_count()} cores)"
        )

    for name in ("usage.csv", "meetings.csv"):
        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            body = b"".join(client.get(url + name, {"range": 90}).streaming_content)
            ms = (time.perf_counter() - t0) * 1000
        rows = body.count(b"\n") - 1
        print(f"{name}, 90 days: {ms:.0f} ms, {len(q)} queries, {rows} rows")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    settings.DEBUG = False
    logging.getLogger("conference.access").setLevel(logging.WARNING)  # one line a request otherwise
    # The test database only: not setup_test_environment(), whose instrumented template rendering
    # (copies of every context for the test client) is not what a server spends.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        ok = bench(args.meetings, args.trials)
    finally:
        runner.teardown_databases(old_config)
    if not ok:
        raise SystemExit(f"the dashboard took {TARGET_MS:.0f} ms or more")


if __name__ == "__main__":
    main()
