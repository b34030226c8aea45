"""Clocks and business dates in America/Lima, independent of the server's TZ."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.clock import (
    LIMA,
    Clock,
    FixedClock,
    SystemClock,
    business_date,
    day_bounds,
    ensure_aware,
    from_unix_ms,
    parse_business_date,
    to_unix_ms,
)
from domain.errors import InvalidInput


def test_late_sale_belongs_to_the_lima_day() -> None:
    sale = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # 23:30 on 29 Nov in Lima
    assert business_date(sale) == date(2026, 11, 29)
    assert business_date(sale, tz=UTC) == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("utc_hour", "minute", "expected"),
    [(4, 59, date(2026, 11, 29)), (5, 0, date(2026, 11, 30)), (23, 59, date(2026, 11, 30))],
)
def test_lima_midnight_is_05_utc(utc_hour: int, minute: int, expected: date) -> None:
    assert business_date(datetime(2026, 11, 30, utc_hour, minute, tzinfo=UTC)) == expected


def test_business_date_accepts_any_aware_zone() -> None:
    tokyo = datetime(2026, 11, 30, 13, 30, tzinfo=ZoneInfo("Asia/Tokyo"))  # 04:30 UTC
    assert business_date(tokyo) == date(2026, 11, 29)
    fixed = datetime(2026, 11, 29, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert business_date(fixed) == date(2026, 11, 29)


def test_business_date_refuses_naive() -> None:
    with pytest.raises(InvalidInput) as exc:
        business_date(datetime(2026, 11, 29, 23, 30))
    assert exc.value.code == "naive_datetime"
    assert "zona horaria" in exc.value.msg


def test_business_date_refuses_non_datetime() -> None:
    with pytest.raises(InvalidInput) as exc:
        business_date(date(2026, 11, 29))  # type: ignore[arg-type]
    assert exc.value.code in {"datetime_invalid", "naive_datetime"}


@pytest.mark.parametrize("tz", ["Asia/Tokyo", "UTC", "America/New_York", "Pacific/Kiritimati"])
def test_business_date_ignores_server_tz(tz: str) -> None:
    code = (
        "import time; time.tzset();"
        "from datetime import datetime, timezone;"
        "from domain.clock import business_date, SystemClock;"
        "print(business_date(datetime(2026, 11, 30, 4, 30, tzinfo=timezone.utc)),"
        " SystemClock().now().utcoffset())"
    )
    env = {**os.environ, "TZ": tz}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["2026-11-29", "0:00:00"]


def test_day_bounds() -> None:
    start, end = day_bounds(date(2026, 11, 29))
    assert start == datetime(2026, 11, 29, 5, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 5, tzinfo=UTC)
    assert business_date(start) == date(2026, 11, 29)
    assert business_date(end - timedelta(microseconds=1)) == date(2026, 11, 29)
    assert business_date(end) == date(2026, 11, 30)


@given(st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 2)))
def test_every_instant_lies_in_its_days_bounds(instant: datetime) -> None:
    start, end = day_bounds(business_date(instant))
    assert start <= instant < end


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    assert isinstance(SystemClock(), Clock)


def test_fixed_clock() -> None:
    clock = FixedClock(datetime(2026, 11, 29, 18, 30, tzinfo=LIMA))
    assert isinstance(clock, Clock)
    assert clock.now() == datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.now() == clock.now()
    clock.advance(timedelta(minutes=90))
    assert business_date(clock.now()) == date(2026, 11, 29)  # 20:00 Lima
    clock.advance(seconds=4 * 3600)
    assert business_date(clock.now()) == date(2026, 11, 30)  # 00:00 Lima
    clock.advance(seconds=-1)
    assert business_date(clock.now()) == date(2026, 11, 29)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput) as exc:
        clock.set(datetime(2030, 1, 1))
    assert exc.value.code == "naive_datetime"
    with pytest.raises(InvalidInput):
        FixedClock(datetime(2030, 1, 1))


def test_ensure_aware_converts_to_utc() -> None:
    lima = datetime(2026, 11, 29, 23, 30, tzinfo=LIMA)
    assert ensure_aware(lima) == datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
    assert ensure_aware(lima).tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"), [("2026-11-29", date(2026, 11, 29)), (" 2024-02-29 ", date(2024, 2, 29))]
)
def test_parse_business_date(text: str, expected: date) -> None:
    assert parse_business_date(text) == expected


@pytest.mark.parametrize(
    "bad",
    ["2026-02-30", "2025-02-29", "20261129", "2026-W48-7", "29/11/2026", "2026-1-5", "", None, 5],
)
def test_parse_business_date_errors(bad: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_business_date(bad)
    assert exc.value.code == "date_invalid"
    assert exc.value.loc == ["date"]


@given(st.dates())
def test_parse_business_date_round_trip(day: date) -> None:
    assert parse_business_date(day.isoformat()) == day


@given(st.integers(min_value=0, max_value=253_402_214_400_000))  # 9999-12-31
def test_unix_ms_round_trip(ms: int) -> None:
    assert to_unix_ms(from_unix_ms(ms)) == ms


def test_to_unix_ms_floors_and_refuses_naive() -> None:
    assert to_unix_ms(datetime(1970, 1, 1, 0, 0, 1, 999_999, tzinfo=UTC)) == 1999
    with pytest.raises(InvalidInput):
        to_unix_ms(datetime(1970, 1, 1))


def test_offset_clock_follows_its_provider() -> None:
    from domain.clock import FixedClock, OffsetClock

    base = FixedClock(datetime(2026, 11, 29, 12, tzinfo=UTC))
    offset = [0.0]
    clock = OffsetClock(base, lambda: offset[0])
    assert clock.now() == base.now()
    offset[0] = -86400.0
    assert clock.now() == datetime(2026, 11, 28, 12, tzinfo=UTC)
