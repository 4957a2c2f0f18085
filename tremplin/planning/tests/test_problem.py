from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tremplin.planning.problem import (
    BREAK_RULE,
    BreakRule,
    Interval,
    Reason,
    Week,
    format_minute,
    format_minutes,
    to_datetime,
    to_minute,
)

MONDAY_BEFORE_SPRING_CHANGE = date(2026, 3, 23)  # clocks go forward on Sunday 29/03


@pytest.mark.parametrize(
    ("moment", "minute"),
    [
        pytest.param(datetime(2026, 3, 23, 8, 30, tzinfo=UTC), 570, id="monday_09_30_paris_winter"),
        pytest.param(
            datetime(2026, 3, 29, 10, 0, tzinfo=UTC), 6 * 1440 + 720, id="sunday_noon_summer_time"
        ),
    ],
)
def test_minutes_follow_the_paris_wall_clock(moment: datetime, minute: int) -> None:
    assert to_minute(moment, MONDAY_BEFORE_SPRING_CHANGE) == minute
    assert to_datetime(minute, MONDAY_BEFORE_SPRING_CHANGE) == moment


def test_formatting_in_french() -> None:
    assert format_minute(1440 + 8 * 60 + 5) == "mardi 08:05"
    assert format_minutes(425) == "7 h 05"
    assert format_minutes(-30) == "-0 h 30"


def test_intervals_are_half_open() -> None:
    morning = Interval(480, 720)
    assert morning.contains(480, 720)
    assert not morning.overlaps(720, 800)
    assert morning.overlaps(719, 800)


def test_the_break_rule_is_read_for_the_week_unless_given() -> None:
    week = Week(1, date(2026, 3, 2), (), ())
    assert week.break_rule == BREAK_RULE.on(date(2026, 3, 2)) == BreakRule(360, 20)
    assert Week(1, date(2026, 3, 2), (), (), breaks=BreakRule(300, 15)).break_rule == BreakRule(
        300, 15
    )


def test_every_reason_has_a_french_label() -> None:
    assert {reason.label for reason in Reason} and all(reason.label for reason in Reason)
    assert Reason.CAPACITY.label == "Capacité insuffisante"


def test_codes_are_shown_with_their_label_when_given() -> None:
    week = Week(1, date(2026, 3, 2), (), (), labels=(("permis_b", "Permis B"),))
    assert week.label("permis_b") == "Permis B"
    assert week.label("sst") == "sst"
