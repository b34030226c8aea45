"""The promised results instant: turnaround, rounding to the hour, delivery hours, Peru's
holidays (Easter computed) and the es-PE text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.clock import LIMA
from domain.errors import InvalidInput
from domain.results_promise import (
    DEFAULT_DELIVERY_HOURS,
    DEFAULT_HOURS,
    ceil_hour,
    easter_sunday,
    format_promise,
    is_holiday,
    next_delivery,
    parse_delivery_hours,
    peru_holidays,
    promised_at,
)


def lima(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=LIMA)


def promise(sold: datetime, *hours: int | None, schedule: dict[str, str] | None = None) -> datetime:
    kind = DEFAULT_HOURS if schedule is None else parse_delivery_hours(schedule)
    return promised_at(sold_at=sold.astimezone(UTC), turnaround_hours=hours, hours=kind)


def local(instant: datetime) -> datetime:
    assert instant.tzinfo is UTC  # stored in UTC
    return instant.astimezone(LIMA).replace(tzinfo=None)


def test_within_hours_rounds_up_to_the_next_whole_hour() -> None:
    # Monday 30/11/2026 10:15 + 24 h -> Tuesday 10:15 -> "desde las 11:00"
    assert local(promise(lima(2026, 11, 30, 10, 15), 24)) == datetime(2026, 12, 1, 11, 0)


def test_a_whole_hour_stays_and_one_second_past_moves_on() -> None:
    assert local(promise(lima(2026, 11, 30, 10, 0, 0), 0)) == datetime(2026, 11, 30, 10, 0)
    assert local(promise(lima(2026, 11, 30, 10, 0, 1), 0)) == datetime(2026, 11, 30, 11, 0)


def test_ready_after_closing_is_promised_the_next_morning() -> None:
    assert local(promise(lima(2026, 11, 30, 17, 40), 2)) == datetime(2026, 12, 1, 7, 0)


def test_ready_at_exactly_closing_time_is_the_next_opening() -> None:
    assert local(promise(lima(2026, 11, 30, 18, 30), 0)) == datetime(2026, 12, 1, 7, 0)
    # 17:59 + 1 h = 18:59 -> rounded to 19:00, the closing time
    assert local(promise(lima(2026, 11, 30, 17, 59), 1)) == datetime(2026, 12, 1, 7, 0)


def test_ready_before_opening_is_promised_at_the_opening() -> None:
    assert local(promise(lima(2026, 12, 1, 5, 10), 0)) == datetime(2026, 12, 1, 7, 0)


def test_saturday_afternoon_moves_to_monday() -> None:
    # Saturday 05/12/2026 12:30 + 1 h -> 13:30 -> 14:00, Saturday closes 13:00, Sunday closed
    assert local(promise(lima(2026, 12, 5, 12, 30), 1)) == datetime(2026, 12, 7, 7, 0)


def test_saturday_morning_within_its_short_hours() -> None:
    assert local(promise(lima(2026, 12, 5, 9, 20), 2)) == datetime(2026, 12, 5, 12, 0)


def test_sunday_sale_is_promised_monday() -> None:
    assert local(promise(lima(2026, 12, 6, 10, 0), 0)) == datetime(2026, 12, 7, 7, 0)


def test_two_holidays_in_a_row_are_skipped() -> None:
    # Tuesday 08/12 (Inmaculada Concepción) and Wednesday 09/12 (Batalla de Ayacucho)
    assert local(promise(lima(2026, 12, 7, 10, 0), 24)) == datetime(2026, 12, 10, 7, 0)


def test_new_year_and_the_weekend() -> None:
    # Thursday 31/12/2026 18:30 + 1 h -> Friday 01/01/2027 is a holiday -> Saturday 07:00
    assert local(promise(lima(2026, 12, 31, 18, 30), 1)) == datetime(2027, 1, 2, 7, 0)


def test_holy_week_2026() -> None:
    # Easter 05/04/2026: Holy Thursday 02/04 and Good Friday 03/04 closed -> Saturday
    assert local(promise(lima(2026, 4, 1, 15, 0), 24)) == datetime(2026, 4, 4, 7, 0)


def test_holy_week_2027() -> None:
    # Easter 28/03/2027: Holy Thursday 25/03, Good Friday 26/03
    assert local(promise(lima(2027, 3, 24, 18, 0), 2)) == datetime(2027, 3, 27, 7, 0)
    # ready Saturday 27/03 18:00, after its closing: Monday 29/03
    assert local(promise(lima(2027, 3, 24, 18, 0), 72)) == datetime(2027, 3, 29, 7, 0)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2000, date(2000, 4, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


def test_the_national_holidays_of_2026() -> None:
    days = peru_holidays(2026)
    assert len(days) == 16  # 14 fixed dates + Holy Thursday + Good Friday
    for d in ("01-01", "05-01", "06-07", "06-29", "07-23", "07-28", "07-29", "08-06"):
        assert date.fromisoformat(f"2026-{d}") in days
    for d in ("08-30", "10-08", "11-01", "12-08", "12-09", "12-25", "04-02", "04-03"):
        assert date.fromisoformat(f"2026-{d}") in days
    assert not is_holiday(date(2026, 4, 5))  # Easter Sunday itself: closed as a Sunday only
    assert not is_holiday(date(2026, 11, 30))


def test_a_72_hour_panel_promises_its_longest_test() -> None:
    # panel 24 h containing tests of 72 h and 48 h: Monday 09:30 -> Thursday 03/12 10:00
    assert local(promise(lima(2026, 11, 30, 9, 30), 24, 72, 48)) == datetime(2026, 12, 3, 10, 0)


def test_no_tests_or_missing_turnarounds_count_as_zero() -> None:
    assert local(promise(lima(2026, 11, 30, 9, 30))) == datetime(2026, 11, 30, 10, 0)
    assert local(promise(lima(2026, 11, 30, 9, 30), None, -5)) == datetime(2026, 11, 30, 10, 0)


def test_a_late_evening_sale_in_utc_is_the_lima_day() -> None:
    # 03:30 UTC Tuesday = 22:30 Monday in Lima; + 0 h -> 23:00 Monday -> Tuesday 07:00 Lima
    sold = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    got = promised_at(sold_at=sold, turnaround_hours=[0])
    assert got == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 07:00 Lima, UTC-5


def test_lima_has_no_dst_all_year_offsets_are_five_hours() -> None:
    for month in (1, 4, 7, 10):
        got = promised_at(sold_at=lima(2026, month, 14, 9, 0), turnaround_hours=[1])
        assert got.tzinfo is UTC and got.hour == 15  # 10:00 Lima


def test_naive_sale_instant_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        promised_at(sold_at=datetime(2026, 11, 30, 10, 0), turnaround_hours=[24])
    assert err.value.code == "naive_datetime"


def test_custom_hours_with_half_hour_opening_and_a_sunday() -> None:
    schedule = dict(DEFAULT_DELIVERY_HOURS, sun="08:30-12:00", sat="")
    # Saturday closed -> Sunday 08:30
    assert local(promise(lima(2026, 12, 5, 9, 0), 1, schedule=schedule)) == datetime(
        2026, 12, 6, 8, 30
    )


def test_next_delivery_inside_the_range_is_the_instant_itself() -> None:
    at = lima(2026, 11, 30, 12, 0).astimezone(UTC)
    assert next_delivery(at) == at


def test_ceil_hour_keeps_utc_identity() -> None:
    assert ceil_hour(datetime(2026, 11, 30, 15, 0, 0, 1, tzinfo=UTC)) == datetime(
        2026, 11, 30, 16, 0, tzinfo=UTC
    )


def test_format_promise_in_spanish() -> None:
    at = lima(2026, 12, 1, 17, 0).astimezone(UTC)
    assert format_promise(at) == "martes 01/12/2026 desde las 17:00"
    assert format_promise(lima(2026, 12, 5, 7, 0)) == "sábado 05/12/2026 desde las 07:00"
    assert format_promise(lima(2026, 12, 2, 7, 0)) == "miércoles 02/12/2026 desde las 07:00"


def test_default_schedule_round_trips() -> None:
    assert DEFAULT_HOURS.as_json() == DEFAULT_DELIVERY_HOURS


@pytest.mark.parametrize(
    ("value", "code", "loc", "fragment"),
    [
        ("07:00-19:00", "delivery_hours_not_object", ["results_delivery_hours"], "por día"),
        (
            dict(DEFAULT_DELIVERY_HOURS, fun="07:00-19:00"),
            "delivery_hours_day_unknown",
            ["results_delivery_hours", "fun"],
            "«fun»",
        ),
        (
            {k: v for k, v in DEFAULT_DELIVERY_HOURS.items() if k != "wed"},
            "delivery_hours_day_missing",
            ["results_delivery_hours", "wed"],
            "miércoles",
        ),
        (
            dict(DEFAULT_DELIVERY_HOURS, tue="7-19"),
            "delivery_hours_time_invalid",
            ["results_delivery_hours", "tue"],
            "martes",
        ),
        (
            dict(DEFAULT_DELIVERY_HOURS, tue="07:00-24:00"),
            "delivery_hours_time_invalid",
            ["results_delivery_hours", "tue"],
            "24:00",
        ),
        (
            dict(DEFAULT_DELIVERY_HOURS, fri="07:00"),
            "delivery_hours_range_invalid",
            ["results_delivery_hours", "fri"],
            "viernes",
        ),
        (
            dict(DEFAULT_DELIVERY_HOURS, fri=7),
            "delivery_hours_range_invalid",
            ["results_delivery_hours", "fri"],
            "viernes",
        ),
        (
            dict(DEFAULT_DELIVERY_HOURS, sat="13:00-07:00"),
            "delivery_hours_range_empty",
            ["results_delivery_hours", "sat"],
            "anterior al cierre",
        ),
        (
            dict.fromkeys(DEFAULT_DELIVERY_HOURS, ""),
            "delivery_hours_all_closed",
            ["results_delivery_hours"],
            "al menos un día",
        ),
    ],
)
def test_bad_schedules_are_refused_in_spanish(
    value: object, code: str, loc: list[str], fragment: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_delivery_hours(value)
    assert err.value.code == code
    assert err.value.loc == loc
    assert fragment in err.value.msg


def test_null_means_closed() -> None:
    hours = parse_delivery_hours(dict(DEFAULT_DELIVERY_HOURS, sat=None))
    assert hours.windows[5] is None
