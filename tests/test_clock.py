"""The virtual clock: its wire format (metav1.Time: seconds precision, a Z suffix) and its speed."""

from __future__ import annotations

import datetime as dt

import pytest

from cluster import clock

UTC = dt.timezone.utc
SEOUL = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize(
    "moment, text",
    [
        (dt.datetime(2026, 11, 27, 2, 25, 31, 999_999, tzinfo=UTC), "2026-11-27T02:25:31Z"),
        (dt.datetime(2026, 11, 27, 2, 25, 32, tzinfo=UTC), "2026-11-27T02:25:32Z"),
        (dt.datetime(2026, 11, 27, 11, 25, 32, tzinfo=SEOUL), "2026-11-27T02:25:32Z"),
        (dt.datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC), "1969-12-31T23:59:59Z"),
        (dt.datetime(1970, 1, 1, 0, 0, 0, 300_000, tzinfo=UTC), "1970-01-01T00:00:00Z"),
    ],
)
def test_times_are_written_in_utc_to_the_second(moment: dt.datetime, text: str) -> None:
    assert clock.rfc3339(moment) == text
    assert clock.rfc3339(moment) == text  # the second time, from the formatted second


def test_consecutive_seconds_are_not_confused() -> None:
    start = dt.datetime(2026, 11, 27, 2, 25, 31, 900_000, tzinfo=UTC)
    stamps = [clock.rfc3339(start + dt.timedelta(milliseconds=50 * i)) for i in range(6)]
    assert stamps == ["2026-11-27T02:25:31Z"] * 2 + ["2026-11-27T02:25:32Z"] * 4


def test_a_written_time_reads_back_to_the_second() -> None:
    moment = dt.datetime(2026, 11, 27, 2, 25, 31, 700_000, tzinfo=UTC)
    assert clock.parse_rfc3339(clock.rfc3339(moment)) == moment.replace(microsecond=0)


@pytest.mark.parametrize(
    "speed, wall_elapsed, virtual_elapsed",
    [
        (0.0, dt.timedelta(minutes=5), dt.timedelta(0)),  # paused or fast-forwarding: time stands still
        (1.0, dt.timedelta(seconds=7), dt.timedelta(seconds=7)),
        (2.0, dt.timedelta(seconds=7), dt.timedelta(seconds=14)),
        (0.5, dt.timedelta(seconds=7), dt.timedelta(seconds=3.5)),
    ],
)
def test_the_virtual_clock_runs_at_the_clusters_speed(monkeypatch, speed, wall_elapsed, virtual_elapsed) -> None:
    from cluster.models import Cluster

    anchor = dt.datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    wall = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    cluster = Cluster(name="c", speed=speed, virtual_anchor=anchor, wall_anchor=wall)
    monkeypatch.setattr(clock, "wall_now", lambda: wall + wall_elapsed)
    assert clock.now(cluster) == anchor + virtual_elapsed
