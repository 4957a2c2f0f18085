from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tremplin.closing import rules
from tremplin.closing.rules import DayKind, HoursSplit

D = Decimal
MONDAY = date(2026, 10, 5)  # an ISO week inside October 2026
OCT_FIRST, OCT_LAST = date(2026, 10, 1), date(2026, 10, 31)


def week(*hours: str, monday: date = MONDAY) -> dict[date, Decimal]:
    return {monday + timedelta(days=i): D(h) for i, h in enumerate(hours) if h}


@pytest.mark.parametrize(
    ("days", "weekly", "expected"),
    [
        pytest.param(
            week("7", "7", "7", "7", "7"),
            D(35),
            HoursSplit(D(35), D(0), D(0)),
            id="full_time_at_35",
        ),
        pytest.param(
            week("7", "7", "7", "7", "7", "0.01"),
            D(35),
            HoursSplit(D(35), D(0), D("0.01")),
            id="full_time_one_hundredth_over",
        ),
        pytest.param(
            week("10", "10", "10", "10", "3"),
            D(35),
            HoursSplit(D(35), D(0), D(8)),
            id="full_time_43h",
        ),
        pytest.param(
            week("10", "10", "10", "10", "3"),
            None,
            HoursSplit(D(35), D(0), D(8)),
            id="no_weekly_hours_is_full_time",
        ),
        pytest.param(
            week("6", "6", "6", "6", "2"),
            D(26),
            HoursSplit(D(26), D(0), D(0)),
            id="part_time_at_contract",
        ),
        pytest.param(
            week("6", "6", "6", "6", "6"),
            D(26),
            HoursSplit(D(26), D(4), D(0)),
            id="part_time_complementary",
        ),
        pytest.param(
            week("8", "8", "8", "8", "8"),
            D(26),
            HoursSplit(D(26), D(9), D(5)),
            id="part_time_past_35",
        ),
        pytest.param(
            week("8", "8", "8", "8", "8") | week("8", monday=MONDAY + timedelta(7)),
            D(35),
            HoursSplit(D(43), D(0), D(5)),
            id="weeks_counted_apart",
        ),
    ],
)
def test_split_hours(
    days: dict[date, Decimal], weekly: Decimal | None, expected: HoursSplit
) -> None:
    assert (
        rules.split_hours(days, contractual_weekly=weekly, first=OCT_FIRST, last=OCT_LAST)
        == expected
    )


@pytest.mark.parametrize(
    ("previous_month_hours", "expected"),
    [
        pytest.param("0", HoursSplit(D(32), D(0), D(0)), id="nothing_before_the_month"),
        pytest.param("8", HoursSplit(D(27), D(0), D(5)), id="previous_days_fill_the_week"),
        pytest.param("40", HoursSplit(D(0), D(0), D(32)), id="week_already_over_35"),
    ],
)
def test_week_across_months_counts_earlier_days_once(
    previous_month_hours: str, expected: HoursSplit
) -> None:
    # Week of Monday 28/09/2026: Monday in September, Thursday to Sunday in October.
    days = {
        date(2026, 9, 28): D(previous_month_hours),
        **week("8", "8", "8", "8", monday=date(2026, 10, 1)),
    }
    split = rules.split_hours(days, contractual_weekly=D(35), first=OCT_FIRST, last=OCT_LAST)
    assert split == expected
    assert split.total == D(32)  # only October's hours are paid in October


def day_by_day(
    hundredths_by_day: dict[date, int], threshold: int, first: date, last: date
) -> tuple[int, int, int]:
    """The split as the law words it: each week's hours taken in the order of its days."""
    normal = complementary = overtime = 0
    so_far: dict[date, int] = {}  # Monday → hundredths of the week so far
    for day in sorted(d for d in hundredths_by_day if d <= last):
        monday = day - timedelta(days=day.weekday())
        before = so_far.get(monday, 0)
        after = so_far[monday] = before + hundredths_by_day[day]
        if day >= first:
            in_normal = max(0, min(after, threshold) - before)
            in_overtime = max(0, after - max(before, 3500))
            normal += in_normal
            overtime += in_overtime
            complementary += after - before - in_normal - in_overtime
    return normal, complementary, overtime


@given(
    worked=st.dictionaries(
        st.dates(min_value=date(2026, 9, 21), max_value=date(2026, 11, 8)),
        st.integers(min_value=1, max_value=2400),
        max_size=40,
    ),
    weekly=st.sampled_from([None, D(10), D(20), D("24.5"), D(26), D(35), D(39)]),
)
def test_split_by_week_totals_is_the_split_day_by_day(
    worked: dict[date, int], weekly: Decimal | None
) -> None:
    # Weeks across both ends of October, days before and after it, any spread of the hours.
    threshold = rules.to_hundredths(rules.weekly_threshold(weekly))
    split = rules.split_hours(
        {day: rules.hundredths(h) for day, h in worked.items()},
        contractual_weekly=weekly,
        first=OCT_FIRST,
        last=OCT_LAST,
    )
    normal, complementary, overtime = day_by_day(worked, threshold, OCT_FIRST, OCT_LAST)
    assert split == HoursSplit(
        rules.hundredths(normal), rules.hundredths(complementary), rules.hundredths(overtime)
    )


@pytest.mark.parametrize(
    ("day", "holiday", "expected"),
    [
        pytest.param(date(2026, 10, 5), False, DayKind.WORKDAY, id="monday"),
        pytest.param(date(2026, 10, 10), False, DayKind.WORKDAY, id="saturday"),
        pytest.param(date(2026, 10, 11), False, DayKind.SUNDAY, id="sunday"),
        pytest.param(date(2026, 10, 25), False, DayKind.SUNDAY, id="sunday_dst_end_25h"),
        pytest.param(date(2026, 3, 29), False, DayKind.SUNDAY, id="sunday_dst_start_23h"),
        pytest.param(date(2026, 11, 11), True, DayKind.HOLIDAY, id="armistice_wednesday"),
        pytest.param(
            date(2026, 11, 1), True, DayKind.HOLIDAY, id="holiday_on_a_sunday_counts_once"
        ),
    ],
)
def test_day_kind(day: date, holiday: bool, expected: DayKind) -> None:
    assert rules.day_kind(day, holiday=holiday) == expected


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        pytest.param("0", "0.000", id="no_hours"),
        pytest.param("151.67", "1.000", id="full_time_month"),
        pytest.param("75.835", "0.500", id="half"),
        pytest.param("0.07", "0.000", id="rounds_down_below_half"),
        pytest.param("0.08", "0.001", id="rounds_up_from_half"),
        pytest.param("169", "1.114", id="overtime_month"),
    ],
)
def test_etp_share(hours: str, expected: str) -> None:
    assert rules.etp_share(D(hours)) == D(expected)


@pytest.mark.parametrize(
    ("periods", "expected"),
    [
        pytest.param([(date(2026, 10, 12), date(2026, 10, 18))], D(5), id="week_without_weekend"),
        pytest.param([(date(2026, 9, 20), date(2026, 10, 2))], D(2), id="clipped_to_month"),
        pytest.param(
            [(date(2026, 10, 12), date(2026, 10, 14)), (date(2026, 10, 13), date(2026, 10, 16))],
            D(5),
            id="overlaps_count_once",
        ),
        pytest.param([(date(2026, 11, 9), date(2026, 11, 13))], D(0), id="other_month"),
    ],
)
def test_absence_days(periods: list[tuple[date, date]], expected: Decimal) -> None:
    assert (
        rules.absence_days(periods, first=OCT_FIRST, last=OCT_LAST, holidays=frozenset())
        == expected
    )


def test_absence_days_skip_public_holidays() -> None:
    armistice = date(2026, 11, 11)
    days = rules.absence_days(
        [(date(2026, 11, 9), date(2026, 11, 13))],
        first=date(2026, 11, 1),
        last=date(2026, 11, 30),
        holidays=frozenset({armistice}),
    )
    assert days == D(4)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("=SUM(A1:A2)", "'=SUM(A1:A2)", id="equals"),
        pytest.param("+33 6", "'+33 6", id="plus"),
        pytest.param("-2+3", "'-2+3", id="minus"),
        pytest.param("@cmd", "'@cmd", id="at"),
        pytest.param("DUPONT", "DUPONT", id="plain_text"),
        pytest.param(D("1234.50"), "1234,50", id="decimal_comma_no_separator"),
        pytest.param(D("-1.5"), "-1,5", id="negative_number_not_prefixed"),
        pytest.param(D("0.125"), "0,125", id="keeps_places"),
        pytest.param(42, "42", id="integer"),
    ],
)
def test_csv_cell(value: object, expected: str) -> None:
    assert rules.csv_cell(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-10", (2026, 10)), ("2026-01", (2026, 1))],
    ids=["october", "january"],
)
def test_parse_month(text: str, expected: tuple[int, int]) -> None:
    assert rules.parse_month(text) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-10", "octobre"], ids=str)
def test_parse_month_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="Mois invalide"):
        rules.parse_month(text)


# --- Interrupted runs ----------------------------------------------------------------------------


def test_stalled_message_dates_the_last_progress() -> None:
    message = rules.stalled_message(datetime(2026, 10, 5, 9, 7, tzinfo=UTC))
    assert message.startswith("Aucune progression depuis le 05/10/2026 à 09:07")
    assert "relancer la clôture" in message
